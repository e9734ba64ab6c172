namespace PromptLearning.Data.World;

/// <summary>
/// One venue of the generated world with all eight E2E slots filled. Meaning representations used
/// by the data sets are subsets of these slots (see <see cref="ToMeaningRepresentation"/>).
/// </summary>
/// <param name="Name">The venue's name (name slot).</param>
/// <param name="EatType">restaurant, coffee shop, pub, cafe or diner.</param>
/// <param name="Food">Cuisine, e.g. "Italian" or "Fast food".</param>
/// <param name="PriceRange">An E2E-style priceRange value, e.g. "cheap" or "more than 30 pounds".</param>
/// <param name="CustomerRating">An E2E-style customer rating value, e.g. "high" or "1 out of 5".</param>
/// <param name="Area">e.g. "riverside".</param>
/// <param name="FamilyFriendly">The familyFriendly slot.</param>
/// <param name="Near">A landmark or another venue.</param>
/// <param name="Unseen">True when the venue uses values held out of every training split.</param>
public sealed record Restaurant(
    string Name, string EatType, string Food, string PriceRange, string CustomerRating,
    string Area, bool FamilyFriendly, string Near, bool Unseen)
{
    /// <summary>The value of a slot by its E2E name (familyFriendly as "yes"/"no").</summary>
    public string Get(string slot) => slot switch
    {
        "name" => Name,
        "eatType" => EatType,
        "food" => Food,
        "priceRange" => PriceRange,
        "customer rating" => CustomerRating,
        "area" => Area,
        "familyFriendly" => FamilyFriendly ? "yes" : "no",
        "near" => Near,
        _ => throw new ArgumentException($"unknown slot '{slot}'", nameof(slot)),
    };

    /// <summary>The meaning representation made of the given slots (in canonical E2E order).</summary>
    public MeaningRepresentation ToMeaningRepresentation(IEnumerable<string> slots)
    {
        var wanted = slots.ToList();
        return new MeaningRepresentation(Lexicon.Slots.Where(wanted.Contains).Select(s => new SlotValue(s, Get(s))).ToList());
    }
}

namespace PromptLearning.Data.World;

/// <summary>
/// Premise/hypothesis pairs in the style of CommitmentBank: the premise describes a venue (a subset
/// of its slots), the hypothesis states one slot. Entailment: the stated value is the venue's (in
/// other words); contradiction: another value of a slot the premise mentions; neutral: a slot the
/// premise does not mention. A fifth of the hypotheses are negated ("does not serve ..."), which
/// swaps entailment and contradiction.
/// </summary>
public static class InferenceWriter
{
    /// <summary>The three labels, in the order used for balanced sampling.</summary>
    public static readonly string[] Labels = ["entailment", "contradiction", "neutral"];

    /// <summary>Writes one pair with the requested label.</summary>
    public static (string Premise, string Hypothesis) Write(Restaurant venue, string label, WorldRandom r)
    {
        var optional = Lexicon.Slots.Skip(1).ToList();
        var mentioned = r.Shuffle(optional).Take(2 + r.Next(4)).ToList();
        var unmentioned = optional.Where(s => !mentioned.Contains(s)).ToList();
        var premise = DescriptionRealiser.Describe(venue.ToMeaningRepresentation(mentioned.Prepend("name")), r).Render();

        string slot = label == "neutral" ? r.Pick(unmentioned) : r.Pick(mentioned);
        bool negate = slot is not ("near" or "familyFriendly") && r.Chance(0.2);
        // a negated hypothesis is entailed when it denies a wrong value, contradicted when it denies the true one
        bool stateTrueValue = label switch
        {
            "entailment" => !negate,
            "contradiction" => negate,
            _ => r.Chance(0.5),
        };
        var value = stateTrueValue ? venue.Get(slot) : OtherValue(slot, venue.Get(slot), r);
        return (premise, Hypothesis(venue.Name, slot, value, negate, r));
    }

    /// <summary>Another value of <paramref name="slot"/> than <paramref name="value"/> (seen values only).</summary>
    internal static string OtherValue(string slot, string value, WorldRandom r)
    {
        switch (slot)
        {
            case "familyFriendly": return value == "yes" ? "no" : "yes";
            case "priceRange":
            {
                int level = Lexicon.PriceLevel(value);
                int other = (level + 1 + r.Next(2)) % 3;
                return Lexicon.PriceValues[other][r.Next(2)];
            }
            case "customer rating":
            {
                int level = Lexicon.RatingLevel(value);
                int other = (level + 1 + r.Next(2)) % 3;
                return Lexicon.RatingValues[other][r.Next(2)];
            }
        }
        IReadOnlyList<string> pool = slot switch
        {
            "eatType" => Lexicon.EatTypes,
            "food" => Lexicon.Foods[..^Lexicon.UnseenFoodCount],
            "area" => Lexicon.Areas[..^Lexicon.UnseenAreaCount],
            "near" => Lexicon.Landmarks,
            _ => throw new ArgumentException($"no alternative values for slot '{slot}'"),
        };
        string v;
        do v = r.Pick(pool); while (v == value);
        return v;
    }

    private static string Hypothesis(string name, string slot, string value, bool negate, WorldRandom r)
    {
        string food = value switch { "Fast food" => "fast food", "Seafood" => "seafood", _ => value + " food" };
        string s = slot switch
        {
            "eatType" => negate ? $"{name} is not a {value}" : r.Pick([$"{name} is a {value}", $"{name} is a kind of {value}"]),
            "food" => negate ? $"{name} does not serve {food}" : r.Pick([$"{name} serves {food}", $"You can get {food} at {name}", $"{name} is known for {food}"]),
            "area" => negate ? $"{name} is not in the {value}" : r.Pick([$"{name} is in the {value}", $"{name} is located in the {value} area"]),
            "near" => r.Pick([$"{name} is near {value}", $"{name} is close to {value}"]),
            "familyFriendly" => value == "yes"
                ? r.Pick([$"{name} is family friendly", $"Children are welcome at {name}", $"{name} is a good place for kids"])
                : r.Pick([$"{name} is not family friendly", $"Children are not welcome at {name}", $"{name} is not a place for kids"]),
            "priceRange" => PriceHypothesis(name, Lexicon.PriceLevel(value), negate, r),
            "customer rating" => RatingHypothesis(name, Lexicon.RatingLevel(value), negate, r),
            _ => throw new ArgumentException($"unknown slot '{slot}'"),
        };
        return char.ToUpperInvariant(s[0]) + s[1..] + ".";
    }

    /// <summary>A yes/no question asking whether the venue has <paramref name="value"/> for <paramref name="slot"/>.</summary>
    internal static string Question(string name, string slot, string value, WorldRandom r)
    {
        string food = value switch { "Fast food" => "fast food", "Seafood" => "seafood", _ => value + " food" };
        return slot switch
        {
            "eatType" => $"Is {name} a {value}?",
            "food" => r.Pick([$"Does {name} serve {food}?", $"Can you get {food} at {name}?"]),
            "area" => $"Is {name} in the {value}?",
            "near" => r.Pick([$"Is {name} near {value}?", $"Is {name} close to {value}?"]),
            "familyFriendly" => value == "yes" ? $"Is {name} family friendly?" : $"Is {name} for adults only?",
            "priceRange" => Lexicon.PriceLevel(value) switch
            {
                0 => $"Is {name} cheap?",
                1 => $"Is {name} moderately priced?",
                _ => $"Is {name} expensive?",
            },
            "customer rating" => Lexicon.RatingLevel(value) switch
            {
                0 => $"Is {name} poorly rated?",
                1 => $"Does {name} have an average customer rating?",
                _ => $"Is {name} highly rated?",
            },
            _ => throw new ArgumentException($"unknown slot '{slot}'", nameof(slot)),
        };
    }

    private static string PriceHypothesis(string name, int level, bool negate, WorldRandom r)
    {
        string word = level switch
        {
            0 => r.Pick(["cheap", "inexpensive", "affordable"]),
            1 => r.Pick(["moderately priced", "mid-priced"]),
            _ => r.Pick(["expensive", "pricey"]),
        };
        if (negate) return $"{name} is not {word}";
        return r.Chance(0.7) ? $"{name} is {word}" : $"Eating at {name} is {word}";
    }

    private static string RatingHypothesis(string name, int level, bool negate, WorldRandom r)
    {
        string word = level switch { 0 => r.Pick(["low", "poor"]), 1 => "average", _ => r.Pick(["high", "excellent"]) };
        string article = word == "average" || word == "excellent" ? "an" : "a";
        if (negate) return $"{name} does not have {article} {word} customer rating";
        return r.Pick([$"{name} has {article} {word} customer rating", $"Customers give {name} {article} {word} rating"]);
    }
}

namespace PromptLearning.Data.World;

/// <summary>
/// The summarization task of the world (XSUM-like: a document and a one-sentence summary that is
/// not a sentence of it). The document is a titled restaurant review; the summary says which
/// aspects the reviewer praises, criticises or is mixed about, and names the venue:
/// "The reviewer praises the food and the service at The Eagle but criticises the prices." Every
/// word of the summary follows from the text (the aspects' polarity as the review states it, through
/// dishes, negations and contrasts), so a model has to read the review, not guess.
/// </summary>
public static class SummaryWriter
{
    /// <summary>How the summary names each aspect (0 food, 1 service, 2 price, 3 place).</summary>
    public static IReadOnlyList<string> AspectNames { get; } = ["food", "service", "prices", "setting"];

    /// <summary>A titled review of <paramref name="venue"/> with <paramref name="stars"/> and its summary.</summary>
    /// <param name="venue">The venue reviewed.</param>
    /// <param name="stars">The latent rating the review is written from (1-5).</param>
    /// <param name="evaluativeRate">Probability of an overall evaluative sentence.</param>
    /// <param name="r">Randomness.</param>
    public static (string Document, string Summary) Write(Restaurant venue, int stars, double evaluativeRate, WorldRandom r)
    {
        var title = r.Pick([$"Dinner at {venue.Name}", $"Lunch at {venue.Name}", $"Our visit to {venue.Name}",
            $"{venue.Name} review", $"A night at {venue.Name}", $"{venue.Name}, {venue.Area}"]);
        var review = ReviewWriter.Write(venue, stars, evaluativeRate, r);
        return ($"{title}. {review.Text}", Summarize(venue.Name, review.Opinions));
    }

    /// <summary>The one-sentence summary of a review of <paramref name="name"/> that expresses <paramref name="opinions"/>.</summary>
    public static string Summarize(string name, IReadOnlyList<AspectOpinion> opinions)
    {
        if (opinions.Count == 0) throw new ArgumentException("a review to summarize has at least one opinion", nameof(opinions));
        // aspects in order of first mention, each praised, criticised or mixed
        var order = opinions.Select(o => o.Aspect).Distinct().ToList();
        string Kind(int aspect)
        {
            var polarities = opinions.Where(o => o.Aspect == aspect).Select(o => o.Positive).Distinct().ToList();
            return polarities.Count == 2 ? "mixed" : polarities[0] ? "praised" : "criticised";
        }
        List<int> Of(string kind) => order.Where(a => Kind(a) == kind).ToList();
        var (praised, criticised, mixed) = (Of("praised"), Of("criticised"), Of("mixed"));

        var clauses = new List<string>();
        if (praised.Count > 0) clauses.Add($"praises {List(praised)}");
        if (criticised.Count > 0) clauses.Add($"criticises {List(criticised)}");
        if (mixed.Count > 0) clauses.Add($"has mixed feelings about {List(mixed)}");
        // the venue follows the first clause: "praises the food at The Eagle but criticises the prices"
        clauses[0] += $" at {name}";
        var sentence = clauses.Count switch
        {
            1 => clauses[0],
            2 => $"{clauses[0]} but {clauses[1]}",
            _ => $"{clauses[0]}, {clauses[1]} and {clauses[2]}",
        };
        return $"The reviewer {sentence}.";
    }

    private static string List(IReadOnlyList<int> aspects)
    {
        var names = aspects.Select(a => "the " + AspectNames[a]).ToList();
        return names.Count == 1 ? names[0] : string.Join(", ", names.Take(names.Count - 1)) + " and " + names[^1];
    }
}

using System.Text;

namespace PromptLearning.Data.World;

/// <summary>
/// The unlabelled pretraining corpus of the world: one document per line, mixing venue
/// descriptions, reviews (60% of them with an overall evaluative sentence such as
/// "It was great."), venue pages (description + reviews) and area guides. Every document is
/// checked against an <see cref="OverlapIndex"/> of held-out texts and redrawn when it contains one.
/// </summary>
public static class CorpusGenerator
{
    /// <summary>Probability that a corpus review carries an overall evaluative sentence.</summary>
    public const double EvaluativeRate = 0.6;

    /// <summary>Generates documents until their total length reaches <paramref name="targetChars"/>.</summary>
    public static List<string> Generate(RestaurantWorld world, WorldRandom r, long targetChars, OverlapIndex heldOut)
    {
        var docs = new List<string>();
        long total = 0;
        int rejected = 0;
        while (total < targetChars)
        {
            var doc = Document(world, r);
            if (heldOut.FindIn(doc) is not null)
            {
                if (++rejected > 1000 + docs.Count) throw new InvalidOperationException("the corpus keeps reproducing held-out texts; the world is too small for the requested corpus");
                continue;
            }
            docs.Add(doc);
            total += doc.Length + 1;
        }
        return docs;
    }

    private static string Document(RestaurantWorld world, WorldRandom r)
    {
        var venue = r.Pick(world.All);
        var sb = new StringBuilder();
        switch (r.PickWeighted([30, 45, 15, 10]))
        {
            case 0:
                sb.Append(Describe(venue, r, minSlots: 3));
                break;
            case 1:
                sb.Append(ReviewWriter.Write(venue, 1 + r.Next(5), EvaluativeRate, r).Text);
                break;
            case 2:
                sb.Append(Describe(venue, r, minSlots: 4));
                int reviews = 1 + r.Next(3);
                for (int i = 0; i < reviews; i++)
                    sb.Append(' ').Append(ReviewWriter.Write(venue, 1 + r.Next(5), EvaluativeRate, r).Text);
                break;
            default:
                var inArea = world.All.Where(v => v.Area == venue.Area).ToList();
                sb.Append(r.Pick([
                    $"There are plenty of places to eat in the {venue.Area}.",
                    $"Here is our guide to eating out in the {venue.Area}.",
                    $"Looking for somewhere to eat in the {venue.Area}?",
                ]));
                int n = 2 + r.Next(3);
                for (int i = 0; i < n; i++)
                {
                    var v = r.Pick(inArea);
                    var slots = r.Shuffle(new[] { "eatType", "food", "priceRange", "customer rating", "familyFriendly", "near" }).Take(2 + r.Next(3)).Prepend("name");
                    sb.Append(' ').Append(DescriptionRealiser.Describe(v.ToMeaningRepresentation(slots), r).Render());
                }
                if (r.Chance(0.5)) sb.Append(' ').Append(r.Pick([$"Our favourite is {r.Pick(inArea).Name}.", $"Do not miss {r.Pick(inArea).Name}."]));
                break;
        }
        return sb.ToString();
    }

    /// <summary>A description of a venue from a random subset of at least <paramref name="minSlots"/> slots.</summary>
    internal static string Describe(Restaurant venue, WorldRandom r, int minSlots)
    {
        var optional = r.Shuffle(Lexicon.Slots.Skip(1));
        int k = Math.Min(optional.Count, minSlots - 1 + r.Next(optional.Count - minSlots + 2));
        return DescriptionRealiser.Describe(venue.ToMeaningRepresentation(optional.Take(k).Prepend("name")), r).Render();
    }
}

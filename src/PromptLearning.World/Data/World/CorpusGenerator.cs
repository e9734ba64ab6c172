using System.Text;

namespace PromptLearning.Data.World;

/// <summary>
/// The unlabelled pretraining corpus of the world: one document per line, written the way such
/// things are written on the web so that the regularities cloze patterns rely on occur naturally.
/// Document kinds (by share): venue descriptions; free-text reviews (60% of them with an overall
/// verdict graded by stars, "It was good."); venue pages (description + reviews); area guides;
/// review-site pages (each review with its star rating, "Rating: 4/5", some laid out under aspect
/// headings "Food: ... Service: ..."); fact sheets (a description of a venue, then its attributes as a key/value
/// table, "Details: name : The Eagle | type : pub | ..."); question/answer pages about a venue's
/// attributes; paraphrase pairs (two descriptions of the same facts). Every document is checked
/// against an <see cref="OverlapIndex"/> of held-out texts and redrawn when it contains one.
/// </summary>
public static class CorpusGenerator
{
    /// <summary>Probability that a corpus review carries an overall evaluative sentence.</summary>
    public const double EvaluativeRate = 0.6;

    /// <summary>The document kinds, in the order of <see cref="KindWeights"/>.</summary>
    public static readonly string[] Kinds =
        ["description", "review", "venue page", "area guide", "review-site page", "fact sheet", "questions and answers", "paraphrase"];

    /// <summary>Relative frequency of each of <see cref="Kinds"/>.</summary>
    public static readonly double[] KindWeights = [10, 18, 8, 5, 20, 20, 11, 8];

    /// <summary>Generates <paramref name="count"/> documents, none of which contains a text of <paramref name="heldOut"/>.</summary>
    public static List<string> Generate(RestaurantWorld world, WorldRandom r, int count, OverlapIndex heldOut)
    {
        var docs = new List<string>();
        int rejected = 0;
        while (docs.Count < count)
        {
            var doc = Document(world, r);
            if (heldOut.FindIn(doc) is not null)
            {
                if (++rejected > 1000 + docs.Count) throw new InvalidOperationException("the corpus keeps reproducing held-out texts; the world is too small for the requested corpus");
                continue;
            }
            docs.Add(doc);
        }
        return docs;
    }

    private static string Document(RestaurantWorld world, WorldRandom r)
    {
        var venue = r.Pick(world.All);
        var sb = new StringBuilder();
        switch (r.PickWeighted(KindWeights))
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
            case 3:
                AreaGuide(sb, world, venue, r);
                break;
            case 4:
                ReviewSitePage(sb, venue, r);
                break;
            case 5:
                FactSheet(sb, venue, r);
                break;
            case 6:
                QuestionsAndAnswers(sb, venue, r);
                break;
            default:
                Paraphrase(sb, venue, r);
                break;
        }
        return sb.ToString();
    }

    private static void AreaGuide(StringBuilder sb, RestaurantWorld world, Restaurant venue, WorldRandom r)
    {
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
    }

    /// <summary>
    /// A rating site's page: a title, then 1-3 reviews, each with its star rating; one page keeps one
    /// layout (the rating before every review or after every review, in one format).
    /// </summary>
    private static void ReviewSitePage(StringBuilder sb, Restaurant venue, WorldRandom r)
    {
        sb.Append(r.Pick([$"Reviews of {venue.Name}.", $"{venue.Name}: customer reviews.", $"{venue.Name}, {venue.Area}. Reviews.", $"What diners say about {venue.Name}."]));
        int n = 1 + r.PickWeighted([3, 2, 1]);
        int format = r.PickWeighted([4, 2, 2, 1]);
        bool ratingFirst = r.Chance(0.5);
        for (int i = 0; i < n; i++)
        {
            int stars = 1 + r.Next(5);
            var body = r.Chance(0.4)
                ? ReviewWriter.StructuredReview(venue, stars, EvaluativeRate / 2, r)
                : ReviewWriter.Write(venue, stars, EvaluativeRate / 2, r).Text;
            string rating = format switch
            {
                0 => $"Rating: {stars}/5.",
                1 => $"{stars} out of 5 stars.",
                2 => stars == 1 ? "1 star." : $"{stars} stars.",
                _ => $"Stars: {stars}/5.",
            };
            sb.Append(' ').Append(ratingFirst ? $"{rating} {body}" : $"{body} {rating}");
        }
    }

    /// <summary>The label of a slot in a fact sheet.</summary>
    private static string FactKey(string slot) => slot switch
    {
        "name" => "name",
        "eatType" => "type",
        "food" => "food",
        "priceRange" => "price range",
        "customer rating" => "customer rating",
        "area" => "area",
        "familyFriendly" => "family friendly",
        "near" => "near",
        _ => throw new ArgumentException($"unknown slot '{slot}'", nameof(slot)),
    };

    /// <summary>
    /// A venue's description followed by its facts as a key/value table (name and 2-7 other slots, all of them in
    /// half of the sheets), as a listing site shows them ("Details: name : The Eagle | type : pub | food : Thai") or
    /// as sentences ("Fact sheet. Name: The Eagle. Type: pub."). The description mentions every fact of the table
    /// but comes first: the text never goes from a table to its description, so a language model learns the facts
    /// and their wordings without being taught table-to-text, the mapping a prefix has to learn (Li and Liang 2021;
    /// with the table first, an untrained prefix on the GPT-2 of that corpus already wrote descriptions at 37 BLEU).
    /// </summary>
    private static void FactSheet(StringBuilder sb, Restaurant venue, WorldRandom r)
    {
        var optional = r.Shuffle(Lexicon.Slots.Skip(1));
        var mr = venue.ToMeaningRepresentation(optional.Take(r.Chance(0.5) ? optional.Count : 2 + r.Next(6)).Prepend("name"));
        string table = r.Chance(0.6)
            ? "Details: " + string.Join(" | ", mr.Attributes.Select(a => $"{FactKey(a.Slot)} : {a.Value}"))
            : r.Pick(["Fact sheet.", "At a glance.", "Venue details.", "Key facts."]) + string.Concat(mr.Attributes.Select(a =>
                $" {char.ToUpperInvariant(FactKey(a.Slot)[0])}{FactKey(a.Slot)[1..]}: {a.Value}."));
        // The sheets once put the table first, under one of four headings before the description. That draw stays,
        // unused, so every other document is the same as in the corpus the masked LMs (bert-small, bert-base,
        // bart-small) were pretrained on.
        _ = r.Next(4);
        sb.Append(DescriptionRealiser.Describe(mr, r).Render()).Append(' ').Append(table);
    }

    /// <summary>2-4 questions about a venue's attributes with their answers (wh-questions and yes/no questions).</summary>
    private static void QuestionsAndAnswers(StringBuilder sb, Restaurant venue, WorldRandom r)
    {
        bool longForm = r.Chance(0.3);
        string q = longForm ? "Question:" : "Q:", a = longForm ? "Answer:" : "A:";
        sb.Append(r.Pick([$"Questions about {venue.Name}.", $"{venue.Name}: frequently asked questions.", $"Visitors ask about {venue.Name}."]));
        foreach (var slot in r.Shuffle(Lexicon.Slots.Skip(1)).Take(2 + r.Next(3)))
        {
            string answer = DescriptionRealiser.Describe(venue.ToMeaningRepresentation(["name", slot]), r).Render();
            string question;
            if (r.Chance(0.5))
            {
                question = slot switch
                {
                    "eatType" => $"What kind of place is {venue.Name}?",
                    "food" => $"What food does {venue.Name} serve?",
                    "priceRange" => $"How expensive is {venue.Name}?",
                    "customer rating" => $"How do customers rate {venue.Name}?",
                    "area" => $"Where is {venue.Name}?",
                    "familyFriendly" => $"Can I bring children to {venue.Name}?",
                    _ => $"What is {venue.Name} close to?",
                };
            }
            else
            {
                // a yes/no question about the true value or another one; "No" answers give the true value
                bool truth = r.Chance(0.5);
                var value = truth ? venue.Get(slot) : InferenceWriter.OtherValue(slot, venue.Get(slot), r);
                question = InferenceWriter.Question(venue.Name, slot, value, r);
                answer = (truth ? r.Pick(["Yes.", "Yes,", "Yes, it is true."]) : r.Pick(["No.", "No,", "Not really."])) + " " + answer;
            }
            sb.Append(' ').Append(q).Append(' ').Append(question).Append(' ').Append(a).Append(' ').Append(answer);
        }
    }

    /// <summary>Two descriptions of the same facts, marked as saying the same thing.</summary>
    private static void Paraphrase(StringBuilder sb, Restaurant venue, WorldRandom r)
    {
        var optional = r.Shuffle(Lexicon.Slots.Skip(1));
        var mr = venue.ToMeaningRepresentation(optional.Take(1 + r.Next(4)).Prepend("name"));
        var first = DescriptionRealiser.Describe(mr, r).Render();
        var second = DescriptionRealiser.Describe(mr, r).Render();
        sb.Append(r.PickWeighted([3, 2, 1]) switch
        {
            0 => $"{first} {r.Pick(["In other words,", "Put another way,", "That is to say,"])} {second}",
            1 => $"Sentence: {first} Paraphrase: {second}",
            _ => $"\"{first}\" means the same as \"{second}\"",
        });
    }

    /// <summary>A description of a venue from a random subset of at least <paramref name="minSlots"/> slots.</summary>
    internal static string Describe(Restaurant venue, WorldRandom r, int minSlots)
    {
        var optional = r.Shuffle(Lexicon.Slots.Skip(1));
        int k = Math.Min(optional.Count, minSlots - 1 + r.Next(optional.Count - minSlots + 2));
        return DescriptionRealiser.Describe(venue.ToMeaningRepresentation(optional.Take(k).Prepend("name")), r).Render();
    }
}

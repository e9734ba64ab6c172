namespace PromptLearning.Data.World;

/// <summary>
/// The generated restaurant world: a fixed population of venues drawn from a seed. Names, landmarks,
/// four cuisines and two areas are split into a "seen" part (used by every training split) and an
/// "unseen" part that only appears in the extrapolation test split of table-to-text (and in the
/// unlabelled pretraining corpus, as a pretrained LM would have seen such words).
/// </summary>
public sealed class RestaurantWorld
{
    /// <summary>Venues whose values all occur in training splits.</summary>
    public IReadOnlyList<Restaurant> Seen { get; }

    /// <summary>Venues built from held-out names, landmarks, cuisines and areas.</summary>
    public IReadOnlyList<Restaurant> Unseen { get; }

    /// <summary>All venues (seen first).</summary>
    public IReadOnlyList<Restaurant> All { get; }

    /// <summary>Builds the world from a seed.</summary>
    public RestaurantWorld(int seed, int seenCount = 400, int unseenCount = 80)
    {
        var rng = new WorldRandom(seed);
        var names = rng.Shuffle(AllNames());
        var landmarks = rng.Shuffle(Lexicon.Landmarks);
        int unseenNames = Math.Max(10, names.Count / 5);
        var seenNames = names.Skip(unseenNames).ToList();
        var heldNames = names.Take(unseenNames).ToList();
        int unseenLandmarks = landmarks.Count / 5;
        var seenLandmarks = landmarks.Skip(unseenLandmarks).ToList();
        var heldLandmarks = landmarks.Take(unseenLandmarks).ToList();

        var seenFoods = Lexicon.Foods[..^Lexicon.UnseenFoodCount];
        var heldFoods = Lexicon.Foods[^Lexicon.UnseenFoodCount..];
        var seenAreas = Lexicon.Areas[..^Lexicon.UnseenAreaCount];
        var heldAreas = Lexicon.Areas[^Lexicon.UnseenAreaCount..];

        Seen = Populate(rng, seenCount, seenNames, seenLandmarks, seenFoods, seenAreas, unseen: false);
        Unseen = Populate(rng, unseenCount, heldNames, heldLandmarks, heldFoods, heldAreas, unseen: true);
        All = Seen.Concat(Unseen).ToList();
    }

    private static List<Restaurant> Populate(WorldRandom rng, int count, List<string> names, List<string> landmarks,
        IReadOnlyList<string> foods, IReadOnlyList<string> areas, bool unseen)
    {
        var result = new List<Restaurant>(count);
        for (int i = 0; i < count; i++)
        {
            // names are reused when more venues than names are asked for; the name slot still varies enough
            string name = names[i % names.Count];
            string near;
            do near = rng.Chance(0.5) ? rng.Pick(landmarks) : rng.Pick(names);
            while (near == name);
            result.Add(new Restaurant(
                name,
                Lexicon.EatTypes[rng.PickWeighted([4, 3, 3, 1.5, 1])],
                rng.Pick(foods),
                Lexicon.PriceValues[rng.Next(3)][rng.Next(2)],
                Lexicon.RatingValues[rng.Next(3)][rng.Next(2)],
                rng.Pick(areas),
                rng.Chance(0.5),
                near,
                unseen));
        }
        return result;
    }

    private static List<string> AllNames()
    {
        var names = new List<string>();
        foreach (var a in Lexicon.NameAdjectives)
            foreach (var n in Lexicon.NameNouns)
                if ((a.Length + n.Length) % 4 == 0) names.Add($"The {a} {n}");
        foreach (var n in Lexicon.NameNouns) names.Add($"The {n}");
        foreach (var w in Lexicon.NameWords) names.Add(w);
        for (int i = 0; i < Lexicon.NameWords.Length; i += 2)
            names.Add($"{Lexicon.NameWords[i]} {Lexicon.NameSuffixes[i / 2 % Lexicon.NameSuffixes.Length]}");
        return names;
    }
}

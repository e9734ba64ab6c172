namespace PromptLearning.Data.World;

/// <summary>
/// Seeded randomness for the generated world. Wraps <see cref="System.Random"/> constructed with a
/// fixed seed (its seeded algorithm is stable across .NET versions and platforms) and only ever
/// draws from ordered lists, so the same seed always gives the same bytes.
/// </summary>
public sealed class WorldRandom
{
    private readonly Random _random;

    /// <summary>Creates a generator from a seed.</summary>
    public WorldRandom(int seed) => _random = new Random(seed);

    /// <summary>Uniform integer in [0, n).</summary>
    public int Next(int n) => _random.Next(n);

    /// <summary>Uniform double in [0, 1).</summary>
    public double NextDouble() => _random.NextDouble();

    /// <summary>True with probability <paramref name="p"/>.</summary>
    public bool Chance(double p) => _random.NextDouble() < p;

    /// <summary>One element, uniformly.</summary>
    public T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    /// <summary>An index drawn with the given (unnormalised) weights.</summary>
    public int PickWeighted(IReadOnlyList<double> weights)
    {
        double total = 0;
        foreach (var w in weights) total += w;
        double x = _random.NextDouble() * total;
        for (int i = 0; i < weights.Count; i++)
        {
            x -= weights[i];
            if (x < 0) return i;
        }
        return weights.Count - 1;
    }

    /// <summary>A new list with the items in random order (Fisher-Yates).</summary>
    public List<T> Shuffle<T>(IEnumerable<T> items)
    {
        var list = items.ToList();
        for (int i = list.Count - 1; i > 0; i--)
        {
            int j = _random.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
        return list;
    }

    /// <summary>A child generator whose stream depends only on this one's state (for independent sub-tasks).</summary>
    public WorldRandom Fork() => new(_random.Next());
}

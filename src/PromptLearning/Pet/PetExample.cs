namespace PromptLearning.Pet;

/// <summary>
/// One input for PET: named text fields that a <see cref="Pattern"/>'s placeholders refer to
/// (<c>{a}</c>, <c>{b}</c>, ...) and, for labelled data, the index of the gold label in the
/// <see cref="Verbalizer"/>'s label list. <see cref="Single"/> fills <c>a</c>; <see cref="Pair"/>
/// fills <c>a</c> and <c>b</c>, which patterns may also call <c>p</c> (premise, the first text) and
/// <c>h</c> (hypothesis, the second text), as in RTE/CB files.
/// </summary>
public sealed record PetExample(IReadOnlyDictionary<string, string> Fields, int? Label = null)
{
    /// <summary>A single-text example (field <c>a</c>, alias <c>x</c>).</summary>
    public static PetExample Single(string text, int? label = null) =>
        new(new Dictionary<string, string> { ["a"] = text }, label);

    /// <summary>A text-pair example: <c>a</c> = premise (alias <c>p</c>), <c>b</c> = hypothesis (alias <c>h</c>).</summary>
    public static PetExample Pair(string premise, string hypothesis, int? label = null) =>
        new(new Dictionary<string, string> { ["a"] = premise, ["b"] = hypothesis }, label);

    /// <summary>This example with another label (or none).</summary>
    public PetExample WithLabel(int? label) => this with { Label = label };

    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["x"] = "a", ["p"] = "a", ["premise"] = "a", ["text"] = "a",
        ["h"] = "b", ["hypothesis"] = "b",
    };

    /// <summary>The text of field <paramref name="name"/> (or its alias); throws naming the field if absent.</summary>
    public string Field(string name)
    {
        if (Fields.TryGetValue(name, out var v)) return v;
        if (Aliases.TryGetValue(name, out var canonical) && Fields.TryGetValue(canonical, out v)) return v;
        throw new KeyNotFoundException(
            $"PET example has no field '{name}' (it has: {string.Join(", ", Fields.Keys)}); " +
            "single texts are 'a' (alias x), pairs 'a'/'b' (aliases p/h)");
    }
}

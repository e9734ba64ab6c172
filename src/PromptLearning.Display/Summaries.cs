using System.Globalization;
using PromptLearning.Models;

namespace PromptLearning.Display;

/// <summary>Model summaries as HTML tables (show with <c>display(HTML(Summaries.Model(...)))</c>).</summary>
public static class Summaries
{
    /// <summary>Architecture and parameter counts of a model: total, trainable, and the trainable share.</summary>
    public static string Model(ILanguageModel model, string? caption = null)
    {
        var c = model.Config;
        var (total, trainable) = ParameterCounts(model);
        return Tables.KeyValueHtml(caption ?? $"{c.ModelType} model", [
            ("architecture", c.ModelType),
            ("layers", c.NumHiddenLayers),
            ("hidden size", c.HiddenSize),
            ("attention heads", c.NumAttentionHeads),
            ("feed-forward size", c.IntermediateSize),
            ("vocabulary", c.VocabSize),
            ("max positions", c.MaxPositionEmbeddings),
            ("parameters", $"{total:N0} ({Compact(total)})"),
            ("trainable", $"{trainable:N0} ({Percent(trainable, total)})"),
        ]);
    }

    /// <summary>Total and trainable (requires_grad) parameter counts of a model.</summary>
    public static (long Total, long Trainable) ParameterCounts(ILanguageModel model)
    {
        long total = 0, trainable = 0;
        foreach (var p in model.Module.parameters())
        {
            total += p.numel();
            if (p.requires_grad) trainable += p.numel();
        }
        return (total, trainable);
    }

    /// <summary>A count as 1.2K / 3.4M / 1.1B.</summary>
    public static string Compact(long n) => n switch
    {
        >= 1_000_000_000 => (n / 1e9).ToString("0.#", CultureInfo.InvariantCulture) + "B",
        >= 1_000_000 => (n / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + "M",
        >= 1_000 => (n / 1e3).ToString("0.#", CultureInfo.InvariantCulture) + "K",
        _ => n.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>part / whole as a percentage with enough digits for small shares (0.013%).</summary>
    public static string Percent(long part, long whole)
    {
        if (whole == 0) return "n/a";
        double p = 100.0 * part / whole;
        return (p >= 1 ? p.ToString("0.#", CultureInfo.InvariantCulture) : p.ToString("0.###", CultureInfo.InvariantCulture)) + "%";
    }
}

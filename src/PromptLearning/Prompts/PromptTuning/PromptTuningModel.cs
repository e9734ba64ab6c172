using PromptLearning.Native;
using PromptLearning.Models;
using PromptLearning.Tokenization;
using static TorchSharp.torch;

namespace PromptLearning.Prompts.PromptTuning;

/// <summary>
/// Prompt tuning on a frozen backbone: a [n, hidden] <see cref="PromptTable"/> in front of the text
/// (after [CLS] for BERT/RoBERTa, so [CLS] stays at position 0), read out by a cloze head with
/// verbalizer (masked LM), a classification head, or the LM head for generation (GPT-2).
/// </summary>
public sealed class PromptTuningModel : TaskModel
{
    public PromptTuningModel(ILanguageModel backbone, TextTokenizer tokenizer, TaskDefinition task, PromptTuningConfig? config = null)
        : base(backbone, tokenizer, config ??= new PromptTuningConfig(), [Build(backbone, tokenizer, task, config)], trainBackbone: false) { }

    private static TaskAdapter Build(ILanguageModel backbone, TextTokenizer tokenizer, TaskDefinition task, PromptTuningConfig config)
    {
        var head = config.Head ?? PromptHeads.DefaultFor(task, backbone.Config, preferCloze: true);
        var template = config.Template is not null
            ? PromptTemplate.Parse(config.Template)
            : PromptTemplate.WithPrefix(config.Length, head == HeadKind.Cloze ? task.Cloze : task.Input);
        if (template.SlotCount != config.Length)
            throw new ArgumentException($"prompt tuning: template '{template}' has {template.SlotCount} [P] slots but Length is {config.Length}");
        var table = new PromptTable(InitialEmbeddings(backbone, tokenizer, task, config));
        return new TaskAdapter(task, template, table, PromptHeads.Create(head, backbone, tokenizer, task, config.HeadDropout, config.Seed));
    }

    /// <summary>The [n, hidden] starting values for <paramref name="config"/>'s initialisation.</summary>
    public static Tensor InitialEmbeddings(ILanguageModel backbone, TextTokenizer tokenizer, TaskDefinition task, PromptTuningConfig config)
        => InitialEmbeddings(ids => Embed(backbone, ids), backbone.Config.HiddenSize, tokenizer, task, config);

    /// <summary>The same for any backbone: <paramref name="embed"/> gives the input embeddings [n, <paramref name="h"/>] of token ids (detached).</summary>
    internal static Tensor InitialEmbeddings(Func<long[], Tensor> embed, int h, TextTokenizer tokenizer, TaskDefinition task, PromptTuningConfig config)
    {
        int n = config.Length;
        if (n < 1) throw new ArgumentException($"prompt tuning: Length must be >= 1, got {n}");
        var gen = new Generator((ulong)config.Seed);
        using var _ = no_grad();
        switch (config.Init)
        {
            case PromptInit.RandomUniform:
                return rand(new long[] { n, h }, generator: gen).TimesInPlace(2.0).PlusInPlace(-1.0).TimesInPlace(config.UniformRange);
            case PromptInit.SampledVocab:
                return embed(SampleVocabulary(tokenizer, n, config.Seed));
            case PromptInit.ClassLabels:
            {
                if (task.Kind != TaskKind.Classification) return embed(SampleVocabulary(tokenizer, n, config.Seed));
                var words = task.Verbalizer?.LabelWords ?? task.Labels;
                int labelled = Math.Min(n, words.Count);
                var rows = new List<Tensor>();
                for (int i = 0; i < labelled; i++)
                {
                    var ids = tokenizer.Encode(tokenizer.IsByteLevel ? " " + words[i].Trim() : words[i].Trim());
                    if (ids.Count == 0) throw new ArgumentException($"prompt tuning: label {i} ('{words[i]}') of task '{task.Name}' has no tokens");
                    rows.Add(embed(ids.Select(id => (long)id).ToArray()).mean([0]));
                }
                if (n > labelled) rows.Add(embed(SampleVocabulary(tokenizer, n - labelled, config.Seed)));
                return cat(rows.Select(r => r.dim() == 1 ? r.unsqueeze(0) : r).ToList(), 0);
            }
            case PromptInit.Text:
            {
                var text = config.InitText ?? (task.Verbalizer is { } v ? string.Join(" ", v.LabelWords) : string.Join(" ", task.Labels));
                var ids = tokenizer.Encode(tokenizer.IsByteLevel ? " " + text : text);
                if (ids.Count == 0) throw new ArgumentException($"prompt tuning: init text '{text}' has no tokens");
                return embed(Enumerable.Range(0, n).Select(i => (long)ids[i % ids.Count]).ToArray());
            }
            default: throw new ArgumentOutOfRangeException(nameof(config), config.Init, "unknown init");
        }
    }

    /// <summary><paramref name="n"/> distinct ids drawn without replacement from the 5,000 lowest non-special ids.</summary>
    private static long[] SampleVocabulary(TextTokenizer tokenizer, int n, int seed)
    {
        var special = new HashSet<int?> { tokenizer.PadTokenId, tokenizer.MaskTokenId, tokenizer.BosTokenId, tokenizer.EosTokenId };
        var pool = Enumerable.Range(0, Math.Min(5000, tokenizer.VocabSize)).Where(i => !special.Contains(i) && !IsSpecialText(tokenizer.IdToToken(i))).ToArray();
        if (n > pool.Length) throw new ArgumentException($"prompt tuning: {n} vocabulary rows asked for, but only {pool.Length} ordinary tokens lie in the 5,000 most frequent; use a shorter prompt or another PromptInit");
        var rng = new Random(seed);
        // Partial Fisher-Yates: the first n entries become a uniform sample without replacement.
        for (int i = 0; i < n; i++)
        {
            int j = i + rng.Next(pool.Length - i);
            (pool[i], pool[j]) = (pool[j], pool[i]);
        }
        return pool.Take(n).Select(i => (long)i).ToArray();
    }

    private static bool IsSpecialText(string token) => token.StartsWith('[') && token.EndsWith(']') || token.StartsWith('<') && token.EndsWith('>');

    private static Tensor Embed(ILanguageModel backbone, long[] ids)
    {
        using var idt = tensor(ids, device: Devices.Of(backbone.Module)).unsqueeze(0);
        using var e = backbone.EmbedTokens(idt);
        return e[0].detach().clone();
    }
}

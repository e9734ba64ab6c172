using PromptLearning.Checkpoints;
using PromptLearning.Models;
using PromptLearning.Prompts;
using PromptLearning.Prompts.Baselines;
using PromptLearning.Prompts.PrefixTuning;
using PromptLearning.Prompts.PTuning;
using PromptLearning.Prompts.PTuningV2;
using PromptLearning.Prompts.PromptTuning;
using PromptLearning.Tests.Pet;
using PromptLearning.Tokenization;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Prompts;

/// <summary>Fixture backbones, a toy tokenizer and toy tasks for the prompt-method tests.</summary>
internal static class PromptTestKit
{
    public static readonly string[] Words =
    [
        "the", "movie", "film", "food", "service", "was", "is", "very", "really", "not", "good", "great",
        "bad", "terrible", "it", "a", "and", "but", ".", "!", "name", ":", "|", "area", "city", "centre",
        "riverside", "pub", "cafe", "eat", "type", "alimentum", "cotto", "near", "in", "there",
    ];

    /// <summary>A fixture model (bert, roberta, gpt2) in eval mode.</summary>
    public static ILanguageModel Backbone(string name)
    {
        PromptLearning.Native.TorchSharpNative.EnsureLoaded();
        var folder = HfFixtures.Model(name);
        var config = ConfigFile.Read(Path.Combine(folder, "config.json"));
        ILanguageModel model = config.IsCausal ? new GPT2LMHeadModel(config) : new BertForMaskedLM(config);
        var options = TiedWeights.OptionsFor(config.ModelType) with { TiedAliases = model.TiedWeights };
        StateDictLoader.Load(model.Module, Path.Combine(folder, "model.safetensors"), options);
        model.Module.eval();
        return model;
    }

    /// <summary>A toy tokenizer over <see cref="Words"/> (byte-level for roberta/gpt2, with the Ġ-prefixed forms).</summary>
    public static TextTokenizer Tokenizer(string name)
        => new AnyIdTokenizer(name == "bert" ? new FakeTokenizer(false, Words) : new FakeTokenizer(true, Words.Concat(Words.Select(w => "\u0120" + w))));

    /// <summary>The toy tokenizer, decoding ids beyond its vocabulary (a random fixture LM generates any id) as <c>&lt;id&gt;</c>.</summary>
    private sealed class AnyIdTokenizer(TextTokenizer inner) : TextTokenizer
    {
        public override int VocabSize => inner.VocabSize;
        public override int PadTokenId => inner.PadTokenId;
        public override int? MaskTokenId => inner.MaskTokenId;
        public override string? MaskToken => inner.MaskToken;
        public override int? BosTokenId => inner.BosTokenId;
        public override int? EosTokenId => inner.EosTokenId;
        public override bool IsByteLevel => inner.IsByteLevel;
        public override IReadOnlyList<int> Encode(string text) => inner.Encode(text);
        public override IReadOnlyList<string> Tokenize(string text) => inner.Tokenize(text);
        public override string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true) => string.Join(" ", ids.Select(IdToToken));
        public override int? TokenToId(string token) => inner.TokenToId(token);
        public override string IdToToken(int id) => id < inner.VocabSize ? inner.IdToToken(id) : $"<{id}>";
        public override IReadOnlyList<int> BuildInputs(IReadOnlyList<int> a, IReadOnlyList<int>? b = null) => inner.BuildInputs(a, b);
        public override IReadOnlyList<int> BuildTokenTypeIds(IReadOnlyList<int> a, IReadOnlyList<int>? b = null) => inner.BuildTokenTypeIds(a, b);
    }

    public static TaskDefinition Sentiment(string name = "sentiment") => new()
    {
        Name = name, Kind = TaskKind.Classification, Labels = ["negative", "positive"], Verbalizer = Verbalizer.Of(["negative", "positive"], ["bad", "good"]),
    };

    public static TaskDefinition Tagging() => new() { Name = "slots", Kind = TaskKind.Tagging, Labels = ["O", "B-area", "I-area"] };

    public static TaskDefinition Generation(string name = "table2text") => new() { Name = name, Kind = TaskKind.Generation };

    /// <summary>Reviews whose label is whether "good"/"great" (1) or "bad"/"terrible" (0) occurs; lengths vary.</summary>
    public static List<PromptExample> SentimentExamples(int n, int seed)
    {
        var rng = new Random(seed);
        string[] subj = ["the movie", "the film", "the food", "the service", "it"];
        string[] pos = ["good", "great"], neg = ["bad", "terrible"];
        string[] adv = ["", "very ", "really ", "very very "];
        var list = new List<PromptExample>();
        for (int i = 0; i < n; i++)
        {
            int label = i % 2;
            var word = label == 1 ? pos[rng.Next(2)] : neg[rng.Next(2)];
            var text = $"{subj[rng.Next(subj.Length)]} was {adv[rng.Next(adv.Length)]}{word}" + (rng.Next(2) == 0 ? " ." : " and the food is there .");
            list.Add(new PromptExample(text) { Label = label });
        }
        return list;
    }

    public static List<PromptExample> TaggingExamples(int n, int seed)
    {
        var rng = new Random(seed);
        var list = new List<PromptExample>();
        for (int i = 0; i < n; i++)
        {
            var words = new List<string> { "the", "pub", "is", "in", "the" };
            var tags = new List<int> { 0, 0, 0, 0, 0 };
            if (rng.Next(2) == 0) { words.AddRange(["city", "centre"]); tags.AddRange([1, 2]); }
            else { words.Add("riverside"); tags.Add(1); }
            if (rng.Next(2) == 0) { words.Add("."); tags.Add(0); }
            list.Add(new PromptExample(string.Join(" ", words)) { Tags = tags });
        }
        return list;
    }

    public static List<PromptExample> GenerationExamples(int n, int seed, string? task = null)
    {
        var rng = new Random(seed);
        string[] names = ["alimentum", "cotto"], areas = ["city centre", "riverside"], types = ["pub", "cafe"];
        var list = new List<PromptExample>();
        for (int i = 0; i < n; i++)
        {
            var (nm, ar, ty) = (names[rng.Next(2)], areas[rng.Next(2)], types[rng.Next(2)]);
            list.Add(new PromptExample($"name : {nm} | area : {ar}" + (rng.Next(2) == 0 ? $" | eat type : {ty}" : "")) { Target = $"{nm} is a {ty} in the {ar} .", Task = task });
        }
        return list;
    }

    /// <summary>Every method with small settings, on the backbone it fits, for a classification task.</summary>
    public static TaskModel Classifier(string method, ILanguageModel backbone, TextTokenizer tok, TaskDefinition? task = null)
    {
        task ??= Sentiment();
        return method switch
        {
            PromptMethods.PromptTuning => new PromptTuningModel(backbone, tok, task, new PromptTuningConfig { Length = 4 }),
            PromptMethods.PTuning => new PTuningModel(backbone, tok, task, new PTuningConfig { Template = "[P*2] {x} [P] [MASK] .", EncoderHiddenSize = 16 }),
            PromptMethods.PrefixTuning => new PrefixTuningModel(backbone, tok, task, new PrefixTuningConfig { Length = 3, HiddenSize = 16 }),
            PromptMethods.PTuningV2 => new PTuningV2Model(backbone, tok, task, new PTuningV2Config { Length = 3 }),
            PromptMethods.FineTuning => new FineTuningModel(backbone, tok, task),
            PromptMethods.HeadOnly => new HeadOnlyModel(backbone, tok, task),
            PromptMethods.ZeroShot => new ZeroShotClozeModel(backbone, tok, task, new ZeroShotClozeConfig { Template = "{x} it was [MASK] ." }),
            _ => throw new ArgumentException(method),
        };
    }

    /// <summary>Clones of every backbone tensor (parameters and buffers).</summary>
    public static Dictionary<string, Tensor> Snapshot(ILanguageModel backbone) => Snapshot(backbone.Module);

    /// <summary>Clones of every tensor of a module (parameters and buffers).</summary>
    public static Dictionary<string, Tensor> Snapshot(TorchSharp.torch.nn.Module module)
    {
        using var _ = no_grad();
        return module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
    }

    /// <summary>Names of tensors that are not bitwise equal to the snapshot.</summary>
    public static List<string> Changed(ILanguageModel backbone, Dictionary<string, Tensor> snapshot) => Changed(backbone.Module, snapshot);

    /// <summary>Names of a module's tensors that are not bitwise equal to the snapshot.</summary>
    public static List<string> Changed(TorchSharp.torch.nn.Module module, Dictionary<string, Tensor> snapshot)
        => module.state_dict().Where(kv => !kv.Value.bytes.SequenceEqual(snapshot[kv.Key].bytes)).Select(kv => kv.Key).ToList();

    public static void AssertClose(Tensor expected, Tensor actual, double atol = 1e-5, string what = "")
    {
        Assert.Equal(expected.shape, actual.shape);
        var diff = (expected - actual).abs().max().item<float>();
        Assert.True(diff <= atol, $"{what}: max abs difference {diff} > {atol}");
    }
}

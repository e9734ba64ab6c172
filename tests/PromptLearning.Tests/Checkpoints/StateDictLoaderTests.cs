using PromptLearning.Checkpoints;
using PromptLearning.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Checkpoints;

public sealed class StateDictLoaderTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("sd-tests-").FullName;

    public StateDictLoaderTests() => TorchSharpNative.EnsureLoaded();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A GPT-2-like toy: transformer.wte, transformer.ln_f, lm_head tied to wte.</summary>
    sealed class Toy : nn.Module
    {
        public readonly Inner transformer;
        public readonly Linear lm_head;

        public Toy(bool tie = true) : base("Toy")
        {
            transformer = new Inner();
            lm_head = nn.Linear(4, 6, hasBias: false);
            if (tie) lm_head.weight = transformer.wte.weight!;
            RegisterComponents();
        }
    }

    sealed class Inner : nn.Module
    {
        public readonly Embedding wte = nn.Embedding(6, 4);
        public readonly LayerNorm ln_f = nn.LayerNorm(4);
        public Inner() : base("Inner") => RegisterComponents();
    }

    static readonly StateDictLoadOptions Options = new()
    {
        TiedAliases = new Dictionary<string, string> { ["lm_head.weight"] = "transformer.wte.weight" },
        BaseModelPrefix = "transformer.",
        IgnoreUnexpected = new[] { @"\.attn\.bias$" },
    };

    [Fact]
    public void LoadsWhenTiedWeightIsLeftOut()
    {
        using var scope = NewDisposeScope();
        var file = new Dictionary<string, Tensor>
        {
            ["transformer.wte.weight"] = randn(6, 4),
            ["transformer.ln_f.weight"] = randn(4),
            ["transformer.ln_f.bias"] = randn(4),
        };
        var path = Path.Combine(_dir, "m.safetensors");
        Safetensors.Save(path, file);
        var model = new Toy();
        var report = StateDictLoader.Load(model, path, Options);
        Assert.True(model.transformer.wte.weight!.allclose(file["transformer.wte.weight"], 0, 0));
        Assert.True(model.lm_head.weight!.allclose(file["transformer.wte.weight"], 0, 0));
        Assert.True(model.transformer.ln_f.bias!.allclose(file["transformer.ln_f.bias"], 0, 0));
        Assert.Equal("transformer.wte.weight", report.Loaded["lm_head.weight"]);
    }

    [Fact]
    public void LoadsWhenTiedWeightIsStoredAndModuleIsUntied()
    {
        using var scope = NewDisposeScope();
        var w = randn(6, 4);
        var file = new Dictionary<string, Tensor>
        {
            ["transformer.wte.weight"] = w,
            ["lm_head.weight"] = w * 2,
            ["transformer.ln_f.weight"] = randn(4),
            ["transformer.ln_f.bias"] = randn(4),
        };
        var model = new Toy(tie: false);
        StateDictLoader.Load(model, file, "memory", Options);
        Assert.True(model.lm_head.weight!.allclose(w * 2, 0, 0));
        Assert.True(model.transformer.wte.weight!.allclose(w, 0, 0));
    }

    [Fact]
    public void AcceptsStoredAliasTheModuleDoesNotHaveAndIgnoredNames()
    {
        using var scope = NewDisposeScope();
        var file = new Dictionary<string, Tensor>
        {
            ["transformer.wte.weight"] = randn(6, 4),
            ["transformer.ln_f.weight"] = randn(4),
            ["transformer.ln_f.bias"] = randn(4),
            ["transformer.h.0.attn.bias"] = ones(1, 1, 4, 4),
        };
        var model = new Inner();
        var options = Options with { BaseModelPrefix = null };
        var inner = new Dictionary<string, Tensor>(file.Select(kv => KeyValuePair.Create(kv.Key["transformer.".Length..], kv.Value)))
        {
            ["lm_head.weight"] = randn(6, 4),
        };
        // "lm_head.weight" is an alias name, "h.0.attn.bias" matches an ignore pattern.
        var report = StateDictLoader.Load(model, inner, "memory", options with { TiedAliases = new Dictionary<string, string> { ["lm_head.weight"] = "wte.weight" } });
        Assert.Contains("lm_head.weight", report.Ignored);
        Assert.Contains("h.0.attn.bias", report.Ignored);
    }

    [Fact]
    public void BaseModelCheckpointGetsThePrefix()
    {
        using var scope = NewDisposeScope();
        var file = new Dictionary<string, Tensor>
        {
            ["wte.weight"] = randn(6, 4),
            ["ln_f.weight"] = randn(4),
            ["ln_f.bias"] = randn(4),
            ["h.0.attn.bias"] = ones(1, 1, 4, 4),
        };
        var model = new Toy();
        StateDictLoader.Load(model, file, "memory", Options);
        Assert.True(model.transformer.wte.weight!.allclose(file["wte.weight"], 0, 0));
        Assert.True(model.lm_head.weight!.allclose(file["wte.weight"], 0, 0));
    }

    [Fact]
    public void OneErrorListsAllMissingUnexpectedAndMismatched()
    {
        using var scope = NewDisposeScope();
        var file = new Dictionary<string, Tensor>
        {
            ["transformer.wte.weight"] = randn(7, 4),
            ["transformer.extra"] = randn(2),
            ["other.thing"] = randn(3),
        };
        var path = Path.Combine(_dir, "bad.safetensors");
        Safetensors.Save(path, file);
        var model = new Toy();
        var ex = Assert.Throws<InvalidDataException>(() => StateDictLoader.Load(model, path, Options));
        Assert.Contains(path, ex.Message);
        Assert.Contains("missing tensors (2): transformer.ln_f.bias, transformer.ln_f.weight", ex.Message);
        Assert.Contains("unexpected tensors (2): other.thing, transformer.extra", ex.Message);
        Assert.Contains("transformer.wte.weight: checkpoint [7, 4] vs model [6, 4]", ex.Message);
        Assert.Contains("lm_head.weight: checkpoint [7, 4] vs model [6, 4]", ex.Message);
    }

    [Fact]
    public void ExportLeavesOutTiedAliasesAndRoundTrips()
    {
        using var scope = NewDisposeScope();
        var model = new Toy();
        var aliases = Options.TiedAliases;
        var exported = StateDictLoader.Export(model, aliases);
        Assert.DoesNotContain("lm_head.weight", exported.Keys);
        Assert.Contains("transformer.wte.weight", exported.Keys);

        var untied = new Toy(tie: false);
        Assert.Contains("lm_head.weight", StateDictLoader.Export(untied, aliases).Keys);

        var path = Path.Combine(_dir, "rt.safetensors");
        StateDictLoader.Save(model, path, aliases);
        var again = new Toy();
        StateDictLoader.Load(again, path, Options);
        Assert.True(again.transformer.wte.weight!.allclose(model.transformer.wte.weight!, 0, 0));
        Assert.True(again.transformer.ln_f.weight!.allclose(model.transformer.ln_f.weight!, 0, 0));
    }
}

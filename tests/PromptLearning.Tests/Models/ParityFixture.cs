using System.Text.Json;
using PromptLearning.Checkpoints;
using PromptLearning.Models;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Models;

/// <summary>
/// One fixture model folder (<c>config.json</c>, <c>model.safetensors</c>, <c>expected.json</c>) and the
/// comparisons the parity tests make, with the fixture README's tolerance |got - exp| &lt;= 5e-5 + 1e-5 |exp|.
/// Every comparison prints its max abs error.
/// </summary>
internal sealed class ParityFixture
{
    public const double Atol = 5e-5, Rtol = 1e-5;

    readonly ITestOutputHelper _output;
    readonly Lazy<TransformerConfig> _config;
    public string Name { get; }
    public string Folder { get; }
    /// <summary>config.json as a <see cref="TransformerConfig"/>, read on first use (encoder-decoder fixtures, whose config is another record, use the rest).</summary>
    public TransformerConfig Config => _config.Value;
    public JsonElement Expected { get; }

    public ParityFixture(string name, ITestOutputHelper output)
    {
        PromptLearning.Native.TorchSharpNative.EnsureLoaded();
        _output = output;
        Name = name;
        Folder = HfFixtures.Model(name);
        _config = new(() => ConfigFile.Read(Path.Combine(Folder, "config.json")));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "expected.json")));
        Expected = doc.RootElement.Clone();
    }

    /// <summary>Builds the model from config.json, loads model.safetensors, and switches to eval mode.</summary>
    public ILanguageModel LoadModel()
    {
        ILanguageModel model = Config.IsCausal ? new GPT2LMHeadModel(Config) : new BertForMaskedLM(Config);
        var options = TiedWeights.OptionsFor(Config.ModelType) with { TiedAliases = model.TiedWeights };
        StateDictLoader.Load(model.Module, Path.Combine(Folder, "model.safetensors"), options);
        model.Module.eval();
        return model;
    }

    /// <summary>The JSON value at a dotted path (e.g. <c>batch.input_ids</c>).</summary>
    public JsonElement At(string path)
    {
        var e = Expected;
        foreach (var part in path.Split('.'))
            e = e.TryGetProperty(part, out var next) ? next : throw new KeyNotFoundException($"{Name}/expected.json has no '{path}' (missing '{part}').");
        return e;
    }

    public bool Has(string path)
    {
        var e = Expected;
        foreach (var part in path.Split('.'))
            if (!e.TryGetProperty(part, out e)) return false;
        return true;
    }

    public Tensor Long(string path) => ToTensor(At(path), ScalarType.Int64);
    public Tensor Float(string path) => ToTensor(At(path), ScalarType.Float32);

    /// <summary>A nested JSON number array as a tensor of its shape.</summary>
    public static Tensor ToTensor(JsonElement e, ScalarType dtype)
    {
        var shape = new List<long>();
        var probe = e;
        while (probe.ValueKind == JsonValueKind.Array)
        {
            shape.Add(probe.GetArrayLength());
            if (probe.GetArrayLength() == 0) break;
            probe = probe[0];
        }
        var values = new List<double>();
        void Walk(JsonElement x, int depth)
        {
            if (x.ValueKind == JsonValueKind.Array)
            {
                if (x.GetArrayLength() != shape[depth]) throw new InvalidDataException($"Ragged array in expected.json at depth {depth}.");
                foreach (var c in x.EnumerateArray()) Walk(c, depth + 1);
            }
            else values.Add(x.GetDouble());
        }
        Walk(e, 0);
        return dtype == ScalarType.Int64
            ? tensor(values.Select(v => (long)v).ToArray(), shape.ToArray())
            : tensor(values.Select(v => (float)v).ToArray(), shape.ToArray());
    }

    /// <summary>Asserts <paramref name="got"/> matches the recorded values within tolerance and prints the max abs error.</summary>
    public double AssertClose(string what, Tensor got, Tensor expected)
    {
        Assert.Equal(expected.shape, got.shape);
        using var g = got.detach().to_type(ScalarType.Float64);
        using var x = expected.to_type(ScalarType.Float64);
        using var err = (g - x).abs();
        using var allowed = x.abs().mul(Rtol).add(Atol);
        double maxAbs = err.numel() == 0 ? 0 : err.max().item<double>();
        using var excess = err - allowed;
        double worst = err.numel() == 0 ? -1 : excess.max().item<double>();
        _output.WriteLine($"{Name} {what}: max abs error {maxAbs:E2} over {err.numel()} values");
        Assert.True(worst <= 0, $"{Name} {what}: max abs error {maxAbs:E3} exceeds the tolerance 5e-5 + 1e-5|exp|.");
        return maxAbs;
    }

    public double AssertClose(string what, Tensor got, string path)
    {
        using var expected = Float(path);
        return AssertClose(what, got, expected);
    }

    /// <summary>The module's state-dict keys are exactly the tensors HF saved, and every tied alias maps to one of them.</summary>
    public static void AssertStateDictKeys(ParityFixture f)
    {
        using var model = f.LoadModel();
        var keys = model.Module.state_dict().Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        var saved = f.At("safetensors_keys").EnumerateArray().Select(e => e.GetString()!).OrderBy(k => k, StringComparer.Ordinal).ToList();
        Assert.Equal(saved, keys);
        var tied = f.At("tied_keys_not_in_safetensors").EnumerateArray().Select(e => e.GetString()!).OrderBy(k => k, StringComparer.Ordinal).ToList();
        Assert.Equal(tied, model.TiedWeights.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList());
        Assert.All(model.TiedWeights.Values, source => Assert.Contains(source, keys));
    }

    public void Log(string line) => _output.WriteLine(line);
}

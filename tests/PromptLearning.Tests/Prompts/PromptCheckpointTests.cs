using System.Text;
using System.Text.Json.Nodes;
using PromptLearning.Models;
using PromptLearning.Prompts;
using PromptLearning.Prompts.PromptTuning;
using PromptLearning.Prompts.PTuningV2;
using PromptLearning.Tokenization;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Prompts;

/// <summary>
/// A saved prompt as one unit (the manifest, interrupted saves, leftovers), its tokenizer fingerprint,
/// and damaged <c>prompt.json</c> files, hand-written and as a seeded property test.
/// </summary>
public sealed class PromptCheckpointTests(ITestOutputHelper output) : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("prompt-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string Folder(string name) => Path.Combine(_dir, name);

    /// <summary>Two different saves of the same method on one backbone: configs differ in seed, prompts in value.</summary>
    sealed class TwoSaves : IDisposable
    {
        public readonly ILanguageModel Backbone = PromptTestKit.Backbone("bert");
        public readonly TextTokenizer Tokenizer = PromptTestKit.Tokenizer("bert");
        public readonly TaskModel A, B;
        public readonly Dictionary<string, Tensor> TensorsA, TensorsB;

        public TwoSaves(string method = PromptMethods.PromptTuning)
        {
            (A, TensorsA) = Make(method, 1);
            (B, TensorsB) = Make(method, 2);
        }

        (TaskModel, Dictionary<string, Tensor>) Make(string method, int seed)
        {
            manual_seed(seed);
            TaskModel m = method == PromptMethods.PromptTuning
                ? new PromptTuningModel(Backbone, Tokenizer, PromptTestKit.Sentiment(), new PromptTuningConfig { Length = 4, Seed = seed })
                : new PTuningV2Model(Backbone, Tokenizer, PromptTestKit.Sentiment(), new PTuningV2Config { Length = 3, Seed = seed });
            m.eval();
            return (m, m.PromptTensors());
        }

        /// <summary>Which save <paramref name="folder"/> loads as ("A" or "B"), checking that the tensors are exactly that save's.</summary>
        public string Which(string folder)
        {
            using var loaded = PromptCheckpoint.Load(folder, Backbone, Tokenizer);
            var seed = loaded.Config.Seed;
            Assert.True(seed is 1 or 2, $"seed {seed}");
            AssertSameTensors(seed == 1 ? TensorsA : TensorsB, loaded.PromptTensors());
            return seed == 1 ? "A" : "B";
        }

        public void Dispose()
        {
            A.Dispose();
            B.Dispose();
            Backbone.Dispose();
        }
    }

    static void AssertSameTensors(Dictionary<string, Tensor> expected, Dictionary<string, Tensor> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, t) in expected)
            Assert.True(t.shape.SequenceEqual(actual[name].shape) && t.bytes.SequenceEqual(actual[name].bytes), $"tensor '{name}' differs from the one saved");
    }

    static void CopyFile(string fromFolder, string name, string toFolder, string? asName = null)
    {
        Directory.CreateDirectory(toFolder);
        File.Copy(Path.Combine(fromFolder, name), Path.Combine(toFolder, asName ?? name), overwrite: true);
    }

    [FixtureFact]
    public void SaveWritesTheTwoFilesAndTheManifestAndNothingElse()
    {
        using var s = new TwoSaves();
        var folder = Folder("clean");
        PromptCheckpoint.Save(s.A, folder);
        File.WriteAllText(Path.Combine(folder, $".{PromptCheckpoint.TensorFile}.0123.tmp"), "left by a killed writer");
        PromptCheckpoint.Save(s.B, folder);
        Assert.Equal(new[] { PromptCheckpoint.ConfigFile, PromptCheckpoint.ManifestFile, PromptCheckpoint.TensorFile },
            Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal("B", s.Which(folder));
    }

    [FixtureFact]
    public void AnInterruptedSaveLoadsAsThePreviousOrTheNewSaveNeverAMix()
    {
        using var s = new TwoSaves();
        string a = Folder("a"), b = Folder("b");
        PromptCheckpoint.Save(s.A, a);
        PromptCheckpoint.Save(s.B, b);
        const string T = PromptCheckpoint.TensorFile, J = PromptCheckpoint.ConfigFile, M = PromptCheckpoint.ManifestFile;

        // Killed before the commit point: the new files are pending, the manifest is still A's.
        var before = Folder("before-commit");
        foreach (var f in new[] { T, J, M }) CopyFile(a, f, before);
        CopyFile(b, T, before, T + ".new");
        CopyFile(b, J, before, J + ".new");
        File.WriteAllText(Path.Combine(before, $".{J}.new.77.tmp"), "{");
        Assert.Equal("A", s.Which(before));

        // Killed after the commit point: B's manifest, with none, one or both files moved into place.
        foreach (var moved in new[] { "", T, J, T + J })
        {
            var after = Folder("after-commit-" + moved.Length);
            CopyFile(b, M, after);
            foreach (var f in new[] { T, J })
                if (moved.Contains(f)) CopyFile(b, f, after);
                else { CopyFile(a, f, after); CopyFile(b, f, after, f + ".new"); }
            Assert.Equal("B", s.Which(after));
        }

        // The next save settles what it finds and leaves no pending or temp files.
        PromptCheckpoint.Save(s.A, before);
        Assert.Equal(3, Directory.GetFiles(before).Length);
        Assert.Equal("A", s.Which(before));

        // A file changed after the save is caught by the manifest.
        var damaged = Folder("damaged");
        foreach (var f in new[] { T, M }) CopyFile(b, f, damaged);
        CopyFile(a, J, damaged);
        var e = Assert.Throws<InvalidDataException>(() => s.Which(damaged));
        Assert.Contains(Path.Combine(damaged, J), e.Message);
        Assert.Contains("does not match", e.Message);
    }

    [FixtureFact]
    public void FoldersSavedBeforeTheManifestAndTheTokenizerFingerprintStillLoad()
    {
        using var s = new TwoSaves();
        var folder = Folder("legacy");
        PromptCheckpoint.Save(s.A, folder);
        File.Delete(Path.Combine(folder, PromptCheckpoint.ManifestFile));
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, PromptCheckpoint.ConfigFile)))!;
        json["backbone"]!.AsObject().Remove("tokenizer");
        File.WriteAllText(Path.Combine(folder, PromptCheckpoint.ConfigFile), json.ToJsonString());
        Assert.Equal("A", s.Which(folder));
    }

    [FixtureFact]
    public void LoadingWithAnotherTokenizerFailsClearly()
    {
        using var s = new TwoSaves();
        var folder = Folder("tokenizer");
        PromptCheckpoint.Save(s.A, folder);
        var other = new Pet.FakeTokenizer(false, Enumerable.Reverse(PromptTestKit.Words).ToArray());
        var e = Assert.Throws<InvalidDataException>(() => PromptCheckpoint.Load(folder, s.Backbone, other));
        Assert.Contains("another tokenizer", e.Message);
        Assert.Contains(folder, e.Message);
    }

    public static TheoryData<string, string> Damages() => new()
    {
        { "\"length\": 4", "\"length\": \"four\"" },
        { "\"config\": {", "\"konfig\": {" },
        { "\"tasks\": [", "\"tasks\": [null, " },
        { "\"kind\": \"Classification\"", "\"kind\": \"Regression\"" },
        { "\"head\": \"Cloze\"", "\"head\": \"7\"" },
        { "{x}", "{x" },
        { "\"trains_backbone\": false", "\"trains_backbone\": \"no\"" },
        { "\"format\": \"plearn-prompt/1\"", "\"format\": 1" },
        { "\"labels\": [", "\"labels\": [3, " },
    };

    [FixtureTheory]
    [MemberData(nameof(Damages))]
    public void ADamagedDescriptionNamesTheFile(string from, string to)
    {
        using var s = new TwoSaves();
        var folder = Folder("damaged");
        PromptCheckpoint.Save(s.A, folder);
        var path = Path.Combine(folder, PromptCheckpoint.ConfigFile);
        var text = File.ReadAllText(path);
        Assert.Contains(from, text);
        File.WriteAllText(path, text.Replace(from, to));
        File.Delete(Path.Combine(folder, PromptCheckpoint.ManifestFile));
        var e = Assert.Throws<InvalidDataException>(() => PromptCheckpoint.Load(folder, s.Backbone, s.Tokenizer));
        Assert.Contains(path, e.Message);
    }

    /// <summary>
    /// Seeded mutations of a saved prompt (its <c>prompt.json</c> as JSON or bytes, or its
    /// <c>prompt.safetensors</c>; the manifest removed so the mutated file is read, or kept so it must
    /// catch the change): each loads with exactly the saved tensors or fails with an
    /// <see cref="InvalidDataException"/> naming a file of the folder.
    /// </summary>
    [FixtureTheory]
    [InlineData(PromptMethods.PromptTuning, 7)]
    [InlineData(PromptMethods.PTuningV2, 8)]
    public void MutatedSavesLoadExactlyOrFailWithTheNamedError(string method, int seed)
    {
        const int cases = 300;
        using var s = new TwoSaves(method);
        var saved = Folder("saved");
        PromptCheckpoint.Save(s.A, saved);
        var json = File.ReadAllText(Path.Combine(saved, PromptCheckpoint.ConfigFile));
        var tensors = File.ReadAllBytes(Path.Combine(saved, PromptCheckpoint.TensorFile));
        var rng = new Random(seed);
        int loaded = 0, named = 0;
        var other = new List<string>();
        var folder = Folder("mutated");
        for (int i = 0; i < cases; i++)
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, true);
            Directory.CreateDirectory(folder);
            foreach (var f in Directory.GetFiles(saved)) File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
            int kind = rng.Next(8);
            if (kind < 4) File.WriteAllText(Path.Combine(folder, PromptCheckpoint.ConfigFile), Mutation.Json(json, rng), new UTF8Encoding(false));
            else if (kind < 6) File.WriteAllBytes(Path.Combine(folder, PromptCheckpoint.ConfigFile), Mutation.JsonBytes(json, rng));
            else File.WriteAllBytes(Path.Combine(folder, PromptCheckpoint.TensorFile), Mutation.Bytes(tensors, rng));
            if (rng.Next(4) != 0) File.Delete(Path.Combine(folder, PromptCheckpoint.ManifestFile));
            try
            {
                using var scope = NewDisposeScope();
                using var model = PromptCheckpoint.Load(folder, s.Backbone, s.Tokenizer);
                AssertSameTensors(ReadBack(folder), model.PromptTensors());
                loaded++;
            }
            catch (InvalidDataException e) when (e.Message.Contains(folder))
            {
                named++;
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                other.Add($"case {i} (kind {kind}): {e.GetType().Name}: {e.Message}");
            }
        }
        output.WriteLine($"prompt checkpoint mutations ({method}): {cases} cases, {loaded} loaded exactly, {named} named InvalidDataException, {other.Count} other");
        Assert.True(other.Count == 0, string.Join("\n", other.Take(10)));
        Assert.True(loaded > 0 && named > 0, $"loaded {loaded}, named {named}: the mutations should produce both");
    }

    /// <summary>The prompt tensors as stored in the folder's <c>prompt.safetensors</c> (what a load must give back).</summary>
    static Dictionary<string, Tensor> ReadBack(string folder)
        => PromptLearning.Checkpoints.Safetensors.Load(Path.Combine(folder, PromptCheckpoint.TensorFile));

    [Fact]
    public void VerbalizersRoundTripWithSeveralWordsAndTheirReduction()
    {
        var labels = new[] { "negative", "positive" };
        foreach (var reduction in new[] { VerbalizerReduction.Mean, VerbalizerReduction.Sum })
        {
            var v = new Verbalizer([("negative", ["bad", "cold"]), ("positive", (IReadOnlyList<string>)["great"])], reduction);
            var node = new JsonObject { ["verbalizer"] = PromptCheckpoint.VerbalizerNode(v) };
            var back = PromptCheckpoint.ReadVerbalizer(JsonNode.Parse(node.ToJsonString())!.AsObject(), labels, "prompt.json")!;
            Assert.Equal(v.ToString(), back.ToString());
            Assert.Equal(reduction, back.Reduction);
        }
        var plain = new JsonObject { ["verbalizer"] = PromptCheckpoint.VerbalizerNode(Verbalizer.Of(labels, ["bad", "great"])) };
        Assert.Equal("""{"verbalizer":["bad","great"]}""", plain.ToJsonString());
        var e = Assert.Throws<InvalidDataException>(() => PromptCheckpoint.ReadVerbalizer(JsonNode.Parse("""{"verbalizer":["bad"]}""")!.AsObject(), labels, "prompt.json"));
        Assert.Contains("prompt.json", e.Message);
    }
}

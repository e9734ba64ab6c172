using System.Text;
using PromptLearning.Checkpoints;
using PromptLearning.Native;
using Xunit.Abstractions;

namespace PromptLearning.Tests.Checkpoints;

/// <summary>
/// Property test over seeded mutations of the fixtures' <c>config.json</c>, taken through the steps
/// of <see cref="Pretrained.Load"/> (read, size check with a 64 MB budget, build, load the fixture's
/// weights): each either loads, and then the config writes and reads back to the same record, or fails
/// with an <see cref="InvalidDataException"/> naming the config or weights file.
/// </summary>
public sealed class ConfigMutationTests(ITestOutputHelper output) : IDisposable
{
    const int CasesPerFixture = 150;
    readonly string _dir = Directory.CreateTempSubdirectory("cfg-mutation-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [FixtureFact]
    public void MutatedConfigsLoadOrFailWithTheNamedError()
    {
        TorchSharpNative.EnsureLoaded();
        int loaded = 0, named = 0;
        var other = new List<string>();
        foreach (var (model, seed) in new[] { ("bert", 11), ("roberta", 22), ("gpt2", 33) })
        {
            var folder = Path.Combine(_dir, model);
            Directory.CreateDirectory(folder);
            File.Copy(Path.Combine(HfFixtures.Model(model), "model.safetensors"), Path.Combine(folder, "model.safetensors"));
            var json = File.ReadAllText(Path.Combine(HfFixtures.Model(model), "config.json"));
            var configPath = Path.Combine(folder, "config.json");
            var rng = new Random(seed);
            for (int i = 0; i < CasesPerFixture; i++)
            {
                File.WriteAllBytes(configPath, rng.Next(3) == 0 ? Mutation.JsonBytes(json, rng) : Encoding.UTF8.GetBytes(Mutation.Json(json, rng)));
                try
                {
                    var config = ConfigFile.Read(configPath);
                    ConfigFile.CheckFits(config, configPath, availableBytes: 64L << 20);
                    using (var m = Pretrained.CreateModel(config)) Pretrained.LoadWeights(m, folder);
                    var copy = Path.Combine(_dir, "roundtrip.json");
                    ConfigFile.Write(config, copy);
                    Assert.Equal(config, ConfigFile.Read(copy));
                    loaded++;
                }
                catch (InvalidDataException e) when (e.Message.Contains(folder))
                {
                    named++;
                }
                catch (Exception e) when (e is not Xunit.Sdk.XunitException)
                {
                    other.Add($"{model} case {i}: {e.GetType().Name}: {e.Message}\n{File.ReadAllText(configPath)}");
                }
            }
        }
        output.WriteLine($"config mutations: {3 * CasesPerFixture} cases, {loaded} loaded, {named} named InvalidDataException, {other.Count} other");
        Assert.True(other.Count == 0, string.Join("\n", other.Take(10)));
        Assert.True(loaded > 0 && named > 0, $"loaded {loaded}, named {named}: the mutations should produce both");
    }
}

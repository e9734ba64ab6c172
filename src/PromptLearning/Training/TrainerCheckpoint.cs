using System.Text.Json;
using System.Text.Json.Serialization;
using PromptLearning.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PromptLearning.Training;

/// <summary>
/// Periodic resumable snapshots of a <see cref="Trainer{TExample}"/> run: the trainable
/// parameters, the optimizer state (AdamW moments and step counts), the step, epoch and position in
/// the shuffled epoch, torch's random generator (dropout), the loss and progress history and the
/// wall time so far. A run started again with the same configuration, data and folder continues
/// where the snapshot left off and takes the same steps it would have taken without the break.
/// </summary>
/// <param name="Folder">Folder of the snapshot (<see cref="StateFile"/>, <see cref="ParametersFile"/>, <see cref="OptimizerFile"/>, <see cref="RandomFile"/>).</param>
/// <param name="Every">Steps between snapshots (one is also written after the last step).</param>
/// <param name="Resume">Continue from the snapshot in <paramref name="Folder"/> when it holds one.</param>
public sealed record TrainerCheckpointing(string Folder, int Every, bool Resume = true)
{
    /// <summary>Step, epoch, position, history and the settings the snapshot was taken with.</summary>
    public const string StateFile = "trainer_state.json";
    /// <summary>The trainable parameters by name.</summary>
    public const string ParametersFile = "trainable.safetensors";
    /// <summary>The optimizer state (TorchSharp's optimizer state format).</summary>
    public const string OptimizerFile = "optimizer.bin";
    /// <summary>torch's default random generator state.</summary>
    public const string RandomFile = "rng.bin";

    /// <summary>The step of the snapshot in <paramref name="folder"/>, or 0 when it holds none.</summary>
    public static int StepIn(string folder) =>
        File.Exists(Path.Combine(folder, StateFile)) ? TrainerSnapshot.Load(folder).Step : 0;

    /// <summary>The training wall time (seconds) up to the snapshot in <paramref name="folder"/>, or 0 when it holds none.</summary>
    public static double SecondsIn(string folder) =>
        File.Exists(Path.Combine(folder, StateFile)) ? TrainerSnapshot.Load(folder).ElapsedSeconds : 0;
}

/// <summary>One progress report as stored in a snapshot.</summary>
internal sealed record SnapshotProgress(
    int Step, int Epoch, double Loss, double LearningRate, double GradNorm,
    IReadOnlyDictionary<string, double>? Metrics, bool IsBest, double ElapsedSeconds);

/// <summary>The JSON part of a trainer snapshot (<see cref="TrainerCheckpointing.StateFile"/>).</summary>
internal sealed record TrainerSnapshot
{
    public required int Step { get; init; }
    public required int Epoch { get; init; }
    public required int Cursor { get; init; }
    public required int TrainCount { get; init; }
    public required double SinceReportLoss { get; init; }
    public required int SinceReportSteps { get; init; }
    public required int BestStep { get; init; }
    public required double? BestMetric { get; init; }
    public required int EvalsWithoutImprovement { get; init; }
    public required double ElapsedSeconds { get; init; }
    /// <summary>The settings that must not change between the run and its continuation.</summary>
    public required TrainerConfig Config { get; init; }
    public required IReadOnlyList<double> StepLosses { get; init; }
    public required IReadOnlyList<SnapshotProgress> History { get; init; }

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = false, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static TrainerSnapshot Load(string folder)
    {
        var path = Path.Combine(folder, TrainerCheckpointing.StateFile);
        try
        {
            return JsonSerializer.Deserialize<TrainerSnapshot>(File.ReadAllText(path), Options)
                ?? throw new InvalidDataException($"'{path}': empty trainer state");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}': malformed trainer state: {e.Message}", e);
        }
    }

    /// <summary>
    /// Writes the snapshot: parameters, optimizer and generator first, the JSON state last (each
    /// file atomically), so a snapshot interrupted while being written leaves the previous state file,
    /// which then no longer matches the other files only if it was interrupted between them.
    /// </summary>
    public void Save(string folder, IReadOnlyList<(string Name, Parameter Parameter)> parameters, ParameterOptimizer optimizer)
    {
        Directory.CreateDirectory(folder);
        using (var scope = NewDisposeScope())
            Safetensors.Save(Path.Combine(folder, TrainerCheckpointing.ParametersFile),
                parameters.Select(p => new KeyValuePair<string, Tensor>(p.Name, p.Parameter.detach().contiguous())));
        var optimizerTemp = Path.Combine(folder, TrainerCheckpointing.OptimizerFile + ".tmp");
        optimizer.Save(optimizerTemp);
        File.Move(optimizerTemp, Path.Combine(folder, TrainerCheckpointing.OptimizerFile), overwrite: true);
        using (var state = torch.random.get_rng_state())
        {
            var bytes = state.data<byte>().ToArray();
            AtomicFile.Write(Path.Combine(folder, TrainerCheckpointing.RandomFile), s => s.Write(bytes));
        }
        AtomicFile.WriteText(Path.Combine(folder, TrainerCheckpointing.StateFile), JsonSerializer.Serialize(this, Options) + "\n");
    }

    /// <summary>Puts parameters, optimizer state and torch's generator back from <paramref name="folder"/>.</summary>
    public void Restore(string folder, IReadOnlyList<(string Name, Parameter Parameter)> parameters, ParameterOptimizer optimizer)
    {
        var path = Path.Combine(folder, TrainerCheckpointing.ParametersFile);
        var saved = Safetensors.Load(path);
        try
        {
            using var noGrad = no_grad();
            foreach (var (name, p) in parameters)
            {
                if (!saved.TryGetValue(name, out var t)) throw new InvalidDataException($"'{path}' has no tensor '{name}' (the snapshot is of other parameters)");
                if (!t.shape.SequenceEqual(p.shape)) throw new InvalidDataException($"'{path}': tensor '{name}' has shape [{string.Join(", ", t.shape)}], the parameter [{string.Join(", ", p.shape)}]");
                p.copy_(t);
            }
        }
        finally
        {
            foreach (var t in saved.Values) t.Dispose();
        }
        optimizer.Load(Path.Combine(folder, TrainerCheckpointing.OptimizerFile));
        var bytes = File.ReadAllBytes(Path.Combine(folder, TrainerCheckpointing.RandomFile));
        using var state = torch.tensor(bytes);
        torch.random.set_rng_state(state);
    }
}

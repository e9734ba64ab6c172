using PromptLearning.Checkpoints;
using PromptLearning.Models;
using PromptLearning.Prompts.PrefixTuning;
using PromptLearning.Prompts.PTuningV2;
using PromptLearning.Training;
using static TorchSharp.torch;

namespace PromptLearning.Prompts.Seq2Seq;

/// <summary>Everything <see cref="Seq2SeqMethodBenchmark.Run"/> measured, in one run on one encoder-decoder.</summary>
/// <param name="Task">The task's name.</param>
/// <param name="BackboneParameters">Scalars of the shared (frozen) backbone.</param>
/// <param name="BatchSize">Examples per training step.</param>
/// <param name="TimedSteps">Timed steps per method and round.</param>
/// <param name="Rounds">Interleaved rounds.</param>
/// <param name="MaxLength">Longest encoder input in tokens (soft tokens included), the same for every method.</param>
/// <param name="MaxTargetLength">Longest target in tokens (eos included), the same for every method.</param>
/// <param name="Threads">Torch's intra-op threads during the run.</param>
/// <param name="Methods">One row per method, fine-tuning first; <see cref="MethodCost.StepGflop"/> and <see cref="MethodCost.AchievedGflops"/> are null.</param>
public sealed record Seq2SeqMethodBenchmarkResult(string Task, long BackboneParameters, int BatchSize, int TimedSteps, int Rounds,
    int MaxLength, int MaxTargetLength, int Threads, IReadOnlyList<MethodCost> Methods);

/// <summary>
/// What each encoder-decoder method (<see cref="Seq2SeqTaskModel"/>) costs on one backbone, measured as
/// <see cref="MethodBenchmark"/> measures the decoder/encoder methods and with its timing loop: time per training
/// step (forward, backward and optimizer step on the same rows and lengths for every method; median and IQR over
/// interleaved rounds) as a ratio to full fine-tuning, trainable parameters, optimizer-state bytes, peak training
/// memory and the size of the saved prompt (<see cref="Seq2SeqPromptCheckpoint"/>; for fine-tuning, the weights of
/// its own trained copy of the backbone). Each method runs with its paper defaults: prompt tuning on the encoder
/// input, prefix tuning in the encoder, decoder and cross-attention through its MLP, P-tuning v2 in the encoder.
/// </summary>
public static class Seq2SeqMethodBenchmark
{
    /// <summary>The methods timed by default, fine-tuning (the reference) first.</summary>
    public static readonly IReadOnlyList<string> DefaultMethods =
        [PromptMethods.FineTuning, PromptMethods.PromptTuning, PromptMethods.PrefixTuning, PromptMethods.PTuningV2];

    /// <summary>Longest target in tokens (eos included) unless the backbone's positions leave less.</summary>
    public const int TargetLength = 32;

    /// <summary>
    /// Times each method's default configuration on <paramref name="train"/> (a text-to-text task; needs
    /// BatchSize * (Steps + 1) examples). <see cref="MethodBenchmarkConfig.Repeats"/> is not used (no throughput
    /// here). The encoder input is <see cref="MethodBenchmarkConfig.Length"/> tokens (default 128) and the target
    /// <see cref="TargetLength"/>, both cut to what a BART's <c>max_position_embeddings</c> allows (the decoder
    /// prefix takes positions too); the lengths used are in the result.
    /// </summary>
    /// <exception cref="ArgumentException">A setting is out of range, a method has no encoder-decoder form, or there are too few examples.</exception>
    public static Seq2SeqMethodBenchmarkResult Run(PretrainedSeq2SeqModel pretrained, TaskSplit train, MethodBenchmarkConfig? config = null, Action<string>? log = null)
    {
        config ??= new MethodBenchmarkConfig();
        config.Validate();
        var methods = (config.Methods ?? DefaultMethods).Prepend(PromptMethods.FineTuning).Distinct().ToList();
        if (methods.FirstOrDefault(m => !DefaultMethods.Contains(m)) is { } unsupported)
            throw new ArgumentException($"benchmark: '{unsupported}' has no encoder-decoder form here (supported: {string.Join(", ", DefaultMethods)})");
        int positions = pretrained.Model is BartForConditionalGeneration bart ? bart.Config.MaxPositionEmbeddings : int.MaxValue;
        int maxLength = Math.Min(config.Length ?? 128, positions);
        var methodConfigs = methods.Select(m => PromptMethodConfig.Default(m) with { BatchSize = config.BatchSize, MaxLength = maxLength }).ToList();
        int decoderPrefix = methodConfigs.Max(DecoderPrefixLength);
        int maxTargetLength = Math.Min(TargetLength, positions - decoderPrefix);
        var examples = MethodBenchmark.TimedExamples(train, config, pretrained.Tokenizer, config.Length is null ? null : maxLength);

        var models = new List<Seq2SeqTaskModel>();
        try
        {
            var trainers = new List<(string, Trainer<PromptExample>)>();
            foreach (var methodConfig in methodConfigs)
            {
                var model = new Seq2SeqTaskModel(pretrained.Model, pretrained.Tokenizer, train.Task,
                    new Seq2SeqPromptConfig { Method = methodConfig, MaxTargetLength = maxTargetLength });
                models.Add(model);
                trainers.Add((methodConfig.Method, model.CreateTrainer(
                    PromptTraining.TrainerConfigFor(methodConfig, config.Steps + 1) with { EvalEvery = 0, LogEvery = 1, RestoreBest = false })));
            }

            var (stepMs, peaks) = MethodBenchmark.TimeInterleaved(trainers, examples, config, log);
            long backbone = pretrained.Model.Module.parameters().Sum(p => p.numel());
            var costs = new List<MethodCost>();
            for (int i = 0; i < models.Count; i++)
            {
                var (model, (method, trainer), spread) = (models[i], trainers[i], stepMs[i]);
                costs.Add(new MethodCost(method, model.TrainableParameterCount, (double)model.TrainableParameterCount / backbone, spread,
                    Spread.OfRatios(spread, stepMs[0]), trainer.OptimizerStateBytes, peaks[i], MethodBenchmark.SavedBytes(method, dir => Save(model, dir)), null, null));
            }
            return new Seq2SeqMethodBenchmarkResult(train.Task.Name, backbone, config.BatchSize, config.Steps, config.Rounds,
                maxLength, maxTargetLength, get_num_threads(), costs);
        }
        finally
        {
            foreach (var m in models) m.Dispose();
        }
    }

    /// <summary>Positions a method's decoder self-attention prefix takes in front of the target (0 without one).</summary>
    private static int DecoderPrefixLength(PromptMethodConfig method)
    {
        var sets = new Seq2SeqPromptConfig { Method = method }.PrefixSetsInUse;
        return (sets & PrefixSets.Decoder) == 0 ? 0 : method switch
        {
            PrefixTuningConfig c => c.Length,
            PTuningV2Config c => c.Length,
            _ => 0,
        };
    }

    /// <summary>The prompts (<see cref="Seq2SeqPromptCheckpoint"/>), or for fine-tuning the trained copy's weights, into <paramref name="folder"/>.</summary>
    private static void Save(Seq2SeqTaskModel model, string folder)
    {
        if (!model.TrainsBackbone) { Seq2SeqPromptCheckpoint.Save(model, folder); return; }
        Directory.CreateDirectory(folder);
        StateDictLoader.Save(model.Backbone.Module, Path.Combine(folder, "model.safetensors"), model.Backbone.TiedWeights);
    }
}

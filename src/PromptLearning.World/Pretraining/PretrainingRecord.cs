using System.Text.Json;
using System.Text.Json.Serialization;
using PromptLearning.Checkpoints;

namespace PromptLearning.Pretraining;

/// <summary>One row of the training log: a progress report, with held-out scores where it followed an evaluation.</summary>
public sealed record PretrainingLogRow(
    [property: JsonPropertyName("step")] int Step,
    [property: JsonPropertyName("loss")] double Loss,
    [property: JsonPropertyName("lr")] double LearningRate,
    [property: JsonPropertyName("held_out_loss")] double? HeldOutLoss,
    [property: JsonPropertyName("held_out_accuracy")] double? HeldOutAccuracy,
    [property: JsonPropertyName("held_out_perplexity")] double? HeldOutPerplexity);

/// <summary>
/// <c>pretraining.json</c> in a pretrained model folder: how it was made (command, corpus, settings,
/// time) and what it scored, so the model card can be rebuilt from the folder alone.
/// </summary>
public sealed record PretrainingRecord
{
    [JsonPropertyName("command")] public required string Command { get; init; }
    [JsonPropertyName("arch")] public required string Arch { get; init; }
    [JsonPropertyName("size")] public required string Size { get; init; }
    [JsonPropertyName("corpus")] public required string Corpus { get; init; }
    [JsonPropertyName("train_documents")] public required int TrainDocuments { get; init; }
    [JsonPropertyName("held_out_documents")] public required int HeldOutDocuments { get; init; }
    [JsonPropertyName("train_sequences")] public required int TrainSequences { get; init; }
    [JsonPropertyName("train_tokens")] public required long TrainTokens { get; init; }
    [JsonPropertyName("max_length")] public required int MaxLength { get; init; }
    [JsonPropertyName("packing")] public required bool Packing { get; init; }
    /// <summary>Share of tokens masked in training (masked LM, BERT: 0.15; text infilling, BART: 0.3).</summary>
    [JsonPropertyName("mask_probability")] public double MaskProbability { get; init; } = 0.15;
    /// <summary>Text infilling (BART): mean span length of the Poisson distribution; null for masked and causal LMs.</summary>
    [JsonPropertyName("poisson_lambda")] public double? PoissonLambda { get; init; }
    /// <summary>Text infilling (BART): weight of the auxiliary encoder-token loss (<see cref="PretrainingConfig.EncoderTokenLossWeight"/>); null for masked and causal LMs.</summary>
    [JsonPropertyName("encoder_token_loss_weight")] public double? EncoderTokenLossWeight { get; init; }
    /// <summary>Words masked with <see cref="SalientMaskProbability"/> (SKEP-style; empty: plain BERT masking).</summary>
    [JsonPropertyName("salient_words")] public IReadOnlyList<string> SalientWords { get; init; } = [];
    /// <summary>Probability of masking a token of a salient word.</summary>
    [JsonPropertyName("salient_mask_probability")] public double? SalientMaskProbability { get; init; }
    /// <summary>Whole-word masking (a word's WordPiece continuations are masked with its first piece).</summary>
    [JsonPropertyName("whole_word_masking")] public bool WholeWordMasking { get; init; }
    [JsonPropertyName("trainer")] public required Training.TrainerConfig Trainer { get; init; }
    [JsonPropertyName("steps_done")] public required int StepsDone { get; init; }
    [JsonPropertyName("wall_time_s")] public required double WallTimeSeconds { get; init; }
    [JsonPropertyName("threads")] public required int Threads { get; init; }
    [JsonPropertyName("parameters")] public required long Parameters { get; init; }
    [JsonPropertyName("held_out")] public required LanguageModelScores HeldOut { get; init; }
    [JsonPropertyName("log")] public required IReadOnlyList<PretrainingLogRow> Log { get; init; }
    /// <summary>Commands of earlier stages when this run continued from a checkpoint (<c>--init-from</c>), oldest first.</summary>
    [JsonPropertyName("previous_commands")] public IReadOnlyList<string> PreviousCommands { get; init; } = Array.Empty<string>();
    /// <summary>
    /// Set while the stage is still running or was interrupted: the record was written at a
    /// resumable snapshot, <see cref="StepsDone"/> counts the steps so far, and this is the command
    /// that continues the stage from the snapshot.
    /// </summary>
    [JsonPropertyName("resume_command")] public string? ResumeCommand { get; init; }
    /// <summary>Folder of the stage's resumable snapshot (optimizer state, step, random generator), when it has one.</summary>
    [JsonPropertyName("checkpoint")] public string? Checkpoint { get; init; }

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    /// <summary>File name inside the model folder.</summary>
    public const string FileName = "pretraining.json";

    /// <summary>Writes the record into <paramref name="folder"/> (atomically).</summary>
    public void Save(string folder, string fileName = FileName) => AtomicFile.WriteText(Path.Combine(folder, fileName), JsonSerializer.Serialize(this, Options) + "\n");

    /// <summary>Reads the record of <paramref name="folder"/>; names the file when it is absent or malformed.</summary>
    public static PretrainingRecord Load(string folder, string fileName = FileName)
    {
        var path = Path.Combine(folder, fileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"'{path}' is missing: the folder was not written by plearn pretrain", path);
        try
        {
            return JsonSerializer.Deserialize<PretrainingRecord>(File.ReadAllText(path), Options)
                ?? throw new InvalidDataException($"'{path}': empty JSON");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}': malformed pretraining record: {e.Message}", e);
        }
    }
}

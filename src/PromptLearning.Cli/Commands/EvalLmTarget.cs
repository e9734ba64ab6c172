using System.Text.Json;
using PromptLearning.Checkpoints;
using PromptLearning.Pretraining;
using static TorchSharp.torch;

namespace PromptLearning.Cli.Commands;

/// <summary>
/// <c>plearn eval lm --model &lt;name or folder&gt; [--corpus data/corpus] [--json]</c>: held-out
/// masked-token accuracy and perplexity (masked LM, fixed masking seed) or next-token accuracy and
/// perplexity (causal LM) on the corpus's held-out documents, as in the model card.
/// </summary>
public sealed class EvalLmTarget : IEvalTarget
{
    public string Name => "lm";
    public string Summary => "held-out masked-token accuracy / perplexity of a language model (--model, --corpus, --json)";

    public int Run(string[] args)
    {
        if (args.Contains("--help"))
        {
            Console.WriteLine("usage: plearn eval lm --model <name|folder> [--corpus <folder|file>] [--max-length N] [--max-sequences 256] [--threads 1] [--json]");
            return 0;
        }
        var o = new Options(args, "json");
        var modelPath = o.Require("model");
        var json = o.Has("json");
        var threads = o.GetInt("threads", 1, min: 1);
        set_num_threads(threads);
        using var loaded = Pretrained.Load(modelPath);
        // Defaults from the model's own record when it was made by plearn pretrain.
        PretrainingRecord? record = File.Exists(Path.Combine(loaded.Folder, PretrainingRecord.FileName)) ? PretrainingRecord.Load(loaded.Folder) : null;
        var corpusPath = o.Get("corpus") ?? record?.Corpus ?? throw new CliUsageException("missing --corpus (the model has no pretraining.json naming one)");
        var maxLength = o.GetInt("max-length", record?.MaxLength ?? Math.Min(128, loaded.Config.MaxPositionEmbeddings), min: 2, max: loaded.Config.MaxPositionEmbeddings);
        var maxSequences = o.GetInt("max-sequences", 256, min: 1);
        var packing = record?.Packing ?? true;
        o.RejectUnknown();

        var corpus = Corpus.Read(corpusPath);
        var sequences = Pretrainer.BuildSequences(loaded.Tokenizer, corpus.HeldOut, maxLength, packing, loaded.Config.IsCausal).Take(maxSequences).ToList();
        loaded.Model.Module.eval();
        LanguageModelScores scores;
        using (no_grad()) scores = Pretrainer.Score(loaded.Model, loaded.Tokenizer, sequences);
        var kind = loaded.Config.IsCausal ? "next_token" : "masked_token";
        if (json)
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["model"] = modelPath, ["objective"] = loaded.Config.IsCausal ? "causal_lm" : "masked_lm", ["corpus"] = corpusPath,
                ["sequences"] = sequences.Count, ["tokens"] = scores.Tokens,
                [kind + "_accuracy"] = scores.Accuracy, ["perplexity"] = scores.Perplexity, ["loss"] = scores.Loss,
            }));
        else
            Console.WriteLine($"{modelPath}: {kind.Replace('_', '-')} accuracy {scores.Accuracy:P2}, perplexity {scores.Perplexity:F3} ({scores.Tokens:N0} tokens of {sequences.Count} held-out sequences from {corpusPath})");
        return 0;
    }
}

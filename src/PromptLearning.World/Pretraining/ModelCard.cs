using System.Globalization;
using System.Text;
using PromptLearning.Models;

namespace PromptLearning.Pretraining;

/// <summary>Zero-shot cloze accuracy of a masked LM on a labelled test set (no training).</summary>
public sealed record ClozeScore(string Task, string Pattern, string Verbalizer, int Examples, double Accuracy);

/// <summary>
/// The facts a shipped checkpoint's <c>README.md</c> reports: architecture and size, corpus,
/// tokenizer, training settings and time, the loss curve (table; the SVG chart lives next to it),
/// held-out scores, zero-shot cloze accuracy (masked LMs) and samples (causal LMs, BART).
/// </summary>
public sealed record ModelCard
{
    public required string Name { get; init; }
    /// <summary>The config of a BERT or GPT-2; null for a BART (<see cref="BartConfig"/>).</summary>
    public TransformerConfig? Config { get; init; }
    /// <summary>The config of a BART (pretrained by text infilling); null for a BERT or GPT-2.</summary>
    public BartConfig? BartConfig { get; init; }
    public required long FileBytes { get; init; }
    public required PretrainingRecord Record { get; init; }
    /// <summary>Zero-shot cloze accuracy per task (masked LMs): the first PVP of each embedded PET task.</summary>
    public IReadOnlyList<ClozeScore> ZeroShot { get; init; } = [];
    /// <summary>Greedy outputs: continuations of prompts (causal LMs) or reconstructions of corrupted held-out texts (BART).</summary>
    public IReadOnlyList<(string Prompt, string Continuation)>? Samples { get; init; }
    /// <summary>
    /// BART: held-out reconstruction scores with the corrupted input and with every input token replaced by
    /// <c>&lt;mask&gt;</c> (same masks, see <see cref="Pretrainer.ScoreWithoutInput"/>): how much the decoder reads the encoder.
    /// </summary>
    public (LanguageModelScores WithInput, LanguageModelScores WithoutInput)? EncoderUse { get; init; }
    /// <summary>File name of the loss chart next to the card.</summary>
    public string ChartFile { get; init; } = "loss_chart.svg";

    /// <summary>The loss chart (SVG) drawn from the record's log.</summary>
    public string Chart() => LossChartSvg.Render(
        Record.Log.Select(row => (row.Step, row.Loss)).ToList(),
        $"{Name}: {(BartConfig is not null ? "text-infilling" : Config!.IsCausal ? "causal-LM" : "masked-LM")} pretraining",
        Record.Log.Where(row => row.HeldOutLoss is not null).Select(row => (row.Step, row.HeldOutLoss!.Value)).ToList());

    /// <summary>Writes <c>README.md</c> and the chart into <paramref name="folder"/>.</summary>
    public void Save(string folder)
    {
        Checkpoints.AtomicFile.WriteText(Path.Combine(folder, ChartFile), Chart());
        Checkpoints.AtomicFile.WriteText(Path.Combine(folder, "README.md"), ToMarkdown());
    }

    /// <summary>The card as Markdown with a YAML header, as on the Hugging Face hub.</summary>
    public string ToMarkdown()
    {
        var ci = CultureInfo.InvariantCulture;
        if ((Config is null) == (BartConfig is null)) throw new InvalidOperationException("ModelCard: give exactly one of Config (BERT, GPT-2) and BartConfig");
        var c = Config;
        var b = BartConfig;
        var mlm = c is { IsCausal: false };
        var r = Record;
        var t = r.Trainer;
        var sb = new StringBuilder();
        sb.AppendLine("---");
        sb.AppendLine("language: en");
        sb.AppendLine("library_name: promptlearning");
        sb.AppendLine(b is not null ? "pipeline_tag: text2text-generation" : mlm ? "pipeline_tag: fill-mask" : "pipeline_tag: text-generation");
        sb.AppendLine("tags: [" + (b is not null ? "bart, denoising, text-infilling" : mlm ? "bert, masked-lm" : "gpt2, causal-lm") + ", generated-corpus, tiny]");
        sb.AppendLine("---");
        sb.AppendLine();
        sb.AppendLine(ci, $"# {Name}");
        sb.AppendLine();
        var kind = b is not null ? "BART encoder-decoder (`BartForConditionalGeneration`)"
            : mlm ? "BERT-style masked language model (`BertForMaskedLM`)" : "GPT-2-style causal language model (`GPT2LMHeadModel`)";
        sb.AppendLine(ci, $"A small {kind} pretrained from scratch by this project on its generated restaurant-world corpus, so that the prompt-learning notebooks run without downloads. It loads exactly like a Hugging Face checkpoint (`config.json`, `model.safetensors`, {(mlm ? "`vocab.txt`" : "`vocab.json` + `merges.txt`")}, `tokenizer_config.json`, `special_tokens_map.json`).");
        sb.AppendLine();
        sb.AppendLine("## Size");
        sb.AppendLine();
        sb.AppendLine("| | |");
        sb.AppendLine("|---|---|");
        sb.AppendLine(ci, $"| parameters | {r.Parameters:N0} |");
        sb.AppendLine(ci, $"| `model.safetensors` | {FileBytes / 1048576.0:F2} MB (float32) |");
        if (b is not null)
            sb.AppendLine(ci, $"| encoder layers / decoder layers / hidden / heads / feed-forward | {b.EncoderLayers} / {b.DecoderLayers} / {b.DModel} / {b.EncoderAttentionHeads} / {b.EncoderFfnDim} |");
        else sb.AppendLine(ci, $"| layers / hidden / heads / feed-forward | {c!.NumHiddenLayers} / {c.HiddenSize} / {c.NumAttentionHeads} / {c.IntermediateSize} |");
        sb.AppendLine(ci, $"| vocabulary | {b?.VocabSize ?? c!.VocabSize:N0} ({(mlm ? "WordPiece, lower-cased" : "byte-level BPE")}, built from the training corpus) |");
        sb.AppendLine(ci, $"| max positions | {b?.MaxPositionEmbeddings ?? c!.MaxPositionEmbeddings} |");
        sb.AppendLine();
        sb.AppendLine("## Training");
        sb.AppendLine();
        sb.AppendLine("| | |");
        sb.AppendLine("|---|---|");
        sb.AppendLine(ci, $"| corpus | `{r.Corpus}`: {r.TrainDocuments:N0} training documents{(r.PreviousCommands.Count > 0 ? " in the last stage" : "")}, {r.HeldOutDocuments:N0} held-out documents (disjoint from every dev/test text of the data sets) |");
        var objective = b is not null
            ? $"text infilling (BART): {r.MaskProbability:P0} of the tokens masked in spans of Poisson(λ = {r.PoissonLambda:G3}) length, each span replaced by one `<mask>` (a length-0 span inserts one), corruption drawn afresh per batch; the decoder reconstructs `<s> text </s>` (token cross-entropy){(r.EncoderTokenLossWeight is > 0 ? $", plus {r.EncoderTokenLossWeight:G3} × an encoder-token loss (each encoder position predicts its input token through the shared embeddings) that keeps the encoder positions apart" : "")}"
            : mlm ? $"masked LM, BERT recipe: {r.MaskProbability:P0} of non-special tokens, 80% [MASK] / 10% random / 10% unchanged, masks drawn afresh per batch{Salient(r)}" : "causal LM (next token)";
        sb.AppendLine(ci, $"| objective | {objective} |");
        sb.AppendLine(ci, $"| sequences | {r.TrainSequences:N0} ({r.TrainTokens:N0} tokens), at most {r.MaxLength} tokens, {(r.Packing ? "packed" : "one document per sequence, padded per batch")} |");
        var stages = r.PreviousCommands.Count > 0 ? $" in {r.PreviousCommands.Count + 1} stages (the last {t.MaxSteps:N0}; settings below are the last stage's)" : "";
        sb.AppendLine(ci, $"| steps | {r.StepsDone:N0}{stages}, batch {t.BatchSize} |");
        sb.AppendLine(ci, $"| optimizer | {t.Optimizer}, peak lr {t.LearningRate:G3}, weight decay {t.WeightDecay:G3}, warm-up {t.EffectiveWarmupSteps} steps then linear decay, gradient clipping {t.MaxGradNorm?.ToString("G3", ci) ?? "off"} |");
        sb.AppendLine(ci, $"| seed | {t.Seed} |");
        sb.AppendLine(ci, $"| wall time | {r.WallTimeSeconds / 60:F1} min on {r.Threads} CPU thread(s) (TorchSharp, float32) |");
        sb.AppendLine();
        if (r.ResumeCommand is not null)
        {
            sb.AppendLine(ci, $"**HALF-DONE**: this stage has run {r.Log.LastOrDefault()?.Step ?? 0:N0} of its planned steps (step {t.MaxSteps:N0} of the stage is the end of its schedule); the weights here are those of the latest snapshot. The resumable snapshot (weights, optimizer state, step, random generator) is in `{r.Checkpoint}`; continue the stage with:");
            sb.AppendLine();
            sb.AppendLine("```");
            sb.AppendLine(r.ResumeCommand);
            sb.AppendLine("```");
            sb.AppendLine();
        }
        sb.AppendLine("Reproduce:");
        sb.AppendLine();
        sb.AppendLine("```");
        foreach (var earlier in r.PreviousCommands) sb.AppendLine(earlier);
        sb.AppendLine(r.Command);
        sb.AppendLine("```");
        sb.AppendLine();
        sb.AppendLine("## Training loss");
        sb.AppendLine();
        sb.AppendLine(ci, $"![training loss]({ChartFile})");
        sb.AppendLine();
        sb.AppendLine("| step | training loss | held-out loss |");
        sb.AppendLine("|---:|---:|---:|");
        var every = Math.Max(1, r.Log.Count / 20);
        foreach (var (row, i) in r.Log.Select((row, i) => (row, i)))
            if (i % every == every - 1 || i == r.Log.Count - 1 || row.HeldOutLoss is not null)
                sb.AppendLine(ci, $"| {row.Step} | {row.Loss:F3} | {(row.HeldOutLoss is { } h ? h.ToString("F3", ci) : "")} |");
        sb.AppendLine();
        sb.AppendLine("## Held-out evaluation");
        sb.AppendLine();
        sb.AppendLine("| metric | value |");
        sb.AppendLine("|---|---:|");
        sb.AppendLine(ci, $"| {(b is not null ? "reconstruction token accuracy (teacher-forced)" : mlm ? "masked-token accuracy" : "next-token accuracy")} | {r.HeldOut.Accuracy:P1} |");
        sb.AppendLine(ci, $"| perplexity{(b is not null ? " (reconstruction)" : mlm ? " (masked tokens)" : "")} | {r.HeldOut.Perplexity:F2} |");
        sb.AppendLine(ci, $"| cross-entropy | {r.HeldOut.Loss:F3} nats over {r.HeldOut.Tokens:N0} tokens |");
        sb.AppendLine();
        sb.AppendLine(b is not null
            ? string.Create(ci, $"Held-out texts corrupted as in training with fixed masks (seed {Pretrainer.HeldOutSeed}); every token of `<s> text </s>` is scored. `Pretrainer.Score` recomputes these.")
            : $"`plearn eval lm --model <this folder> --json` recomputes these{(mlm ? " (fixed masking seed)" : "")}.");
        if (EncoderUse is var (with, without))
        {
            sb.AppendLine();
            sb.AppendLine("## Does the decoder read the encoder?");
            sb.AppendLine();
            sb.AppendLine("The same held-out texts and masks, once with the corrupted text as the encoder input and once with every input token replaced by `<mask>` (`Pretrainer.ScoreWithoutInput`):");
            sb.AppendLine();
            sb.AppendLine("| encoder input | cross-entropy | token accuracy |");
            sb.AppendLine("|---|---:|---:|");
            sb.AppendLine(ci, $"| corrupted text | {with.Loss:F3} | {with.Accuracy:P1} |");
            sb.AppendLine(ci, $"| all `<mask>` | {without.Loss:F3} | {without.Accuracy:P1} |");
            sb.AppendLine();
            sb.AppendLine(ci, $"The input lowers the loss by {without.Loss - with.Loss:F3} nats per token: {(without.Loss - with.Loss < 0.1 ? "**the decoder hardly uses the encoder**; it reconstructs from the text it has decoded so far, as a language model would, and its outputs barely depend on the input" : "the decoder copies from the input")}.");
        }
        if (ZeroShot.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("## Zero-shot cloze");
            sb.AppendLine();
            sb.AppendLine("No training at all: each embedded PET task's first pattern and verbalizer on its whole test set (`plearn eval cloze --model <this folder> --task TASK --json`).");
            sb.AppendLine();
            sb.AppendLine("| task | pattern | verbalizer | examples | accuracy |");
            sb.AppendLine("|---|---|---|---:|---:|");
            foreach (var z in ZeroShot)
                sb.AppendLine(ci, $"| {z.Task} | `{z.Pattern}` | {z.Verbalizer} | {z.Examples:N0} | {z.Accuracy:P1} |");
            if (ZeroShot.FirstOrDefault(z => z.Task == "sentiment") is { } s)
            {
                sb.AppendLine();
                sb.AppendLine(ci, $"The project's bar for the sentiment number is {ZeroShotCloze.QualityBar:P0}: {(s.Accuracy >= ZeroShotCloze.QualityBar ? "met" : "**not met** by this checkpoint")}.");
            }
        }
        if (Samples is { Count: > 0 })
        {
            sb.AppendLine();
            sb.AppendLine("## Samples");
            sb.AppendLine();
            sb.AppendLine(b is not null
                ? "Greedy reconstructions of corrupted held-out texts (encoder input in bold, then the decoder's output):"
                : "Greedy continuations of description prompts (prompt in bold):");
            sb.AppendLine();
            foreach (var (prompt, continuation) in Samples)
                sb.AppendLine(b is not null ? $"- **{prompt}** → {continuation}" : $"- **{prompt}**{continuation}");
        }
        sb.AppendLine();
        sb.AppendLine("## Limitations");
        sb.AppendLine();
        sb.AppendLine("Trained only on a small synthetic English corpus about restaurants; it knows nothing else. Meant for teaching and tests, not for real-world use.");
        return sb.ToString();
    }

    /// <summary>Word lists longer than this are summarised by their size and first words.</summary>
    private const int ListedSalientWords = 20;

    private static string Salient(PretrainingRecord r)
    {
        var ci = CultureInfo.InvariantCulture;
        var wwm = r.WholeWordMasking ? "; whole-word masking (a word's pieces are masked together)" : "";
        if (r.SalientWords.Count == 0) return wwm;
        var words = r.SalientWords.Count <= ListedSalientWords
            ? $"the words {string.Join(", ", r.SalientWords)}"
            : $"the {r.SalientWords.Count:N0} words of the world's content vocabulary (entities, attribute values, dishes, aspect and opinion words: {string.Join(", ", r.SalientWords.Take(ListedSalientWords))}, ...; the full list is in `pretraining.json`)";
        return string.Create(ci, $"{wwm}; {words} masked with probability {r.SalientMaskProbability:P0} instead (knowledge masking as in ERNIE and SKEP)");
    }
}

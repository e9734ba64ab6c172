using System.Diagnostics;
using System.Text.Json;
using PromptLearning.Checkpoints;
using PromptLearning.Data;
using PromptLearning.Models;
using PromptLearning.Pet;
using PromptLearning.Pretraining;
using PromptLearning.Tokenization;
using PromptLearning.Training;

namespace PromptLearning.Cli.Commands;

/// <summary>
/// <c>plearn pretrain</c>: builds a vocabulary from a corpus, pretrains a BERT (masked LM), GPT-2
/// (causal LM) or BART (text infilling) from scratch and writes a Hugging Face model folder (config.json,
/// model.safetensors, tokenizer files) with <c>pretraining.json</c>, <c>loss_chart.svg</c> and a
/// model card. <c>--card-only</c> rebuilds the card of an existing folder (zero-shot cloze for
/// masked LMs, samples for causal LMs and BART).
/// </summary>
public sealed class PretrainCommand : ICommand
{
    public string Name => "pretrain";
    public string Summary => "pretrain a small BERT (MLM), GPT-2 (causal LM) or BART (text infilling) from a corpus into a HF model folder";

    private const string Usage = """
        usage: plearn pretrain --arch bert|gpt2|bart --size small|base|deep --corpus <folder|file> --out <folder>
                               [--steps 3000] [--seed 42] [--batch 32] [--lr 1e-3] [--max-length 128]
                               [--vocab-size 4000] [--warmup-ratio 0.05] [--weight-decay 0.01]
                               [--eval-every <steps/10>] [--log-every 50] [--threads 1] [--no-packing] [--mask-probability 0.15]
                               [--salient-words w1,w2,...|world|opinion --salient-mask-probability 0.5]   (masked LM: knowledge masking;
                                   world = the generated world's content vocabulary; opinion = its opinion words, as SKEP)
                               [--whole-word]   (masked LM: whole-word masking)
                               [--poisson-lambda 3]   (bart: text infilling masks --mask-probability (default 0.3) of the tokens
                                   in spans of Poisson(lambda) length, each span one <mask>; needs --no-packing)
                               [--encoder-token-loss 0.1]   (bart: weight of the auxiliary loss that has each encoder position
                                   predict its input token; keeps the encoder from collapsing to one vector; 0 = BART's loss alone)
                               [--documents-matching REGEX]   (train only on the corpus documents that match)
                               [--checkpoint-every <eval-every>] [--checkpoint-dir <out>/checkpoint] [--resume]
                                   (resumable snapshots: weights, optimizer state, step, random generator; --resume continues
                                    the interrupted run from its snapshot: give the same command plus --resume)
               plearn pretrain --init-from <model folder> --corpus ... --out ... [same options]   (continued pretraining)
               plearn pretrain --card-only --out <folder> [--data <data folder>]
          --corpus: a folder with train.txt + valid.txt (one document per line), or one file (last 2% held out)
        """;

    public int Run(string[] args)
    {
        if (args.Contains("--help")) { Console.WriteLine(Usage); return 0; }
        var o = new Options(args, "no-packing", "card-only", "whole-word", "resume");
        if (o.Has("card-only"))
        {
            var folder = o.Require("out");
            var data = o.Get("data");
            o.RejectUnknown();
            WriteCard(folder, data);
            return 0;
        }
        var initFrom = o.Get("init-from");
        var corpusPath = o.Require("corpus");
        var steps = o.GetInt("steps", 3000, min: 1);
        var seed = o.GetInt("seed", 42);
        var batch = o.GetInt("batch", 32, min: 1);
        var lr = o.GetDouble("lr", 1e-3, min: 0);
        var maxLength = o.GetInt("max-length", 128, min: 8);
        var vocabSize = o.GetInt("vocab-size", 4000, min: 1);
        var warmupRatio = o.GetDouble("warmup-ratio", 0.05, min: 0, max: 1);
        var weightDecay = o.GetDouble("weight-decay", 0.01, min: 0);
        var evalEvery = o.GetInt("eval-every", Math.Max(1, steps / 10), min: 1);
        var logEvery = o.GetInt("log-every", 50, min: 1);
        var threads = o.GetInt("threads", 1, min: 1);
        var packing = !o.Has("no-packing");
        var arch = initFrom is null ? o.Require("arch") : o.Get("arch");
        var bart = arch == "bart";
        var maskProbability = o.GetDouble("mask-probability", bart ? Pretrainer.TextInfillingMaskRatio : 0.15, min: 0, max: 1);
        var poissonLambda = o.GetDouble("poisson-lambda", Pretrainer.TextInfillingPoissonLambda, min: 0);
        var encoderTokenLoss = o.GetDouble("encoder-token-loss", bart ? Pretrainer.DefaultEncoderTokenLossWeight : 0, min: 0);
        if (!bart && o.Has("encoder-token-loss")) throw new CliUsageException("--encoder-token-loss applies to --arch bart only");
        var salientOption = o.Get("salient-words") ?? "";
        var salientWords = salientOption switch
        {
            "world" => Data.World.Lexicon.Vocabulary().ToArray(),
            "opinion" => Data.World.Lexicon.OpinionVocabulary().ToArray(),
            _ => salientOption.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        };
        var wholeWord = o.Has("whole-word");
        var checkpointEvery = o.GetInt("checkpoint-every", evalEvery, min: 1);
        var checkpointDirOption = o.Get("checkpoint-dir");
        var resume = o.Has("resume");
        var salientProbability = o.GetDouble("salient-mask-probability", 0.5, min: 0, max: 1);
        var documentsMatching = o.Get("documents-matching");
        var size = o.Get("size", "small");
        if (arch is not (null or "bert" or "gpt2" or "bart")) throw new CliUsageException($"--arch must be bert, gpt2 or bart, not '{arch}'");
        if (bart && initFrom is not null) throw new CliUsageException("--init-from: continued pretraining of a BART is not supported");
        if (bart && packing) throw new CliUsageException("--arch bart pretrains one document per sequence (text infilling): add --no-packing");
        var outDir = o.OutputFolder("out");
        o.RejectUnknown();
        var checkpointDir = checkpointDirOption ?? Path.Combine(outDir, "checkpoint");

        var snapshotStep = TrainerCheckpointing.StepIn(checkpointDir);
        if (snapshotStep > 0 && !resume) throw new CliUsageException($"'{checkpointDir}' holds a snapshot at step {snapshotStep}: add --resume to continue it, or delete the folder to start over");
        if (resume && snapshotStep == 0) throw new CliUsageException($"--resume: '{checkpointDir}' holds no snapshot ({TrainerCheckpointing.StateFile})");
        var resumeArgs = resume ? args : args.Append("--resume").ToArray();
        // a continued stage keeps the record of the stages before it in its snapshot folder, since --out may be the --init-from folder
        var previousStageFile = Path.Combine(checkpointDir, "previous_stage.json");

        TorchSharp.torch.set_num_threads(threads);
        var clock = Stopwatch.StartNew();
        var corpus = Corpus.Read(corpusPath);
        if (documentsMatching is not null) corpus = corpus.WithTrainingDocumentsMatching(documentsMatching);
        Console.WriteLine($"corpus {corpusPath}: {corpus.Train.Count:N0} training, {corpus.HeldOut.Count:N0} held-out documents");

        TextTokenizer tokenizer;
        Target model;
        PretrainingRecord? previous = null;
        if (resume && initFrom is null)
        {
            // the interrupted run's vocabulary and config are in --out; the trainer puts the weights back
            var configPath = Path.Combine(outDir, "config.json");
            tokenizer = TokenizerFactory.FromFolder(outDir, arch);
            model = bart ? new Target(new BartForConditionalGeneration(BartConfig.Read(configPath))) : Target.For(ConfigFile.Read(configPath));
            Console.WriteLine($"resuming {outDir} from the snapshot in {checkpointDir} (step {snapshotStep:N0})");
        }
        else if (initFrom is not null)
        {
            // Continued pretraining: the checkpoint's own vocabulary and weights (any BERT/RoBERTa/GPT-2 folder).
            var init = Pretrained.Load(initFrom);
            var config = init.Config;
            var initArch = config.IsCausal ? "gpt2" : "bert";
            if (arch is not null && arch != initArch) throw new CliUsageException($"--arch {arch} does not match --init-from {initFrom} ({config.ModelType})");
            arch = initArch;
            if (resume) previous = File.Exists(previousStageFile) ? PretrainingRecord.Load(checkpointDir, "previous_stage.json") : null;
            else if (File.Exists(Path.Combine(init.Folder, PretrainingRecord.FileName)))
            {
                previous = PretrainingRecord.Load(init.Folder);
                Directory.CreateDirectory(checkpointDir);
                previous.Save(checkpointDir, "previous_stage.json");
            }
            size = previous?.Size ?? size;
            if (maxLength > config.MaxPositionEmbeddings) throw new CliUsageException($"--max-length {maxLength} exceeds the model's max_position_embeddings {config.MaxPositionEmbeddings}");
            if (Path.GetFullPath(init.Folder) != Path.GetFullPath(outDir))
                foreach (var f in new[] { "vocab.txt", "vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json" })
                    if (File.Exists(Path.Combine(init.Folder, f))) File.Copy(Path.Combine(init.Folder, f), Path.Combine(outDir, f), overwrite: true);
            tokenizer = init.Tokenizer;
            model = new Target(init.Model, config);
            Console.WriteLine($"continuing from {initFrom}{(previous is null ? "" : $" ({previous.StepsDone:N0} steps)")}");
        }
        else
        {
            // 1. Vocabulary from the training documents, written as the checkpoint's tokenizer files.
            if (arch == "bert") WordPieceVocabBuilder.Save(WordPieceVocabBuilder.Build(corpus.Train, vocabSize), outDir, maxLength);
            else if (bart) ByteLevelBpeBuilder.SaveBart(ByteLevelBpeBuilder.BuildBart(corpus.Train, vocabSize), outDir, maxLength);
            else ByteLevelBpeBuilder.Save(ByteLevelBpeBuilder.Build(corpus.Train, vocabSize), outDir, maxLength);
            tokenizer = TokenizerFactory.FromFolder(outDir, arch);
            Console.WriteLine($"vocabulary: {tokenizer.VocabSize:N0} tokens ({clock.Elapsed.TotalSeconds:F0}s)");

            // 2. Model from the preset, seeded.
            TorchSharp.torch.manual_seed(seed);
            model = bart
                ? new Target(new BartForConditionalGeneration(ModelPresets.CreateBart(size, tokenizer.VocabSize, maxLength)))
                : Target.For(ModelPresets.Create(arch!, size, tokenizer.VocabSize, maxLength,
                    arch == "bert" ? tokenizer.PadTokenId : null, arch == "gpt2" ? tokenizer.EosTokenId : null));
        }
        using var _ = model;
        var parameters = model.Module.parameters().Sum(p => p.numel());
        Console.WriteLine($"model: {arch}-{size}, {parameters:N0} parameters");

        // 3. Pretraining.
        var trainer = new TrainerConfig
        {
            MaxSteps = steps, BatchSize = batch, LearningRate = lr, WeightDecay = weightDecay,
            WarmupRatio = warmupRatio, MaxGradNorm = 1.0, EvalEvery = evalEvery, LogEvery = logEvery,
            Seed = seed, RestoreBest = false, DropLast = true,
        };
        var pretraining = new PretrainingConfig { MaxLength = maxLength, Packing = packing, MaskProbability = maskProbability, PoissonLambda = poissonLambda,
            EncoderTokenLossWeight = bart ? encoderTokenLoss : 0, SalientWords = salientWords, SalientMaskProbability = salientProbability, WholeWordMasking = wholeWord, Trainer = trainer };
        var offset = previous?.StepsDone ?? 0;
        // this stage's rows so far: on resume, those the interrupted run recorded up to its snapshot
        var rows = new List<PretrainingLogRow>();
        if (resume && File.Exists(Path.Combine(outDir, PretrainingRecord.FileName)) && PretrainingRecord.Load(outDir) is { ResumeCommand: not null } interrupted)
            rows.AddRange(interrupted.Log.Where(row => row.Step > offset && row.Step <= offset + snapshotStep));
        // the trainer's clock includes the training time before the break; setup time of earlier invocations is not counted
        var setupSeconds = clock.Elapsed.TotalSeconds;
        var trainedBefore = TrainerCheckpointing.SecondsIn(checkpointDir);
        PretrainingRecord Record(int stageSteps, LanguageModelScores heldOut, int sequences, long tokens, double stageSeconds, bool finished) => new()
        {
            Command = "plearn pretrain " + string.Join(" ", args.Where(a => a != "--resume").Select(ShellQuote)), Arch = arch!, Size = size, Corpus = corpusPath,
            TrainDocuments = corpus.Train.Count, HeldOutDocuments = corpus.HeldOut.Count,
            TrainSequences = sequences, TrainTokens = tokens, MaxLength = maxLength, Packing = packing, MaskProbability = maskProbability,
            PoissonLambda = bart ? poissonLambda : null, EncoderTokenLossWeight = bart ? encoderTokenLoss : null,
            SalientWords = salientWords, SalientMaskProbability = salientWords.Length > 0 ? salientProbability : null, WholeWordMasking = wholeWord,
            Trainer = trainer, StepsDone = offset + stageSteps,
            WallTimeSeconds = Math.Round((previous?.WallTimeSeconds ?? 0) + stageSeconds, 1),
            Threads = threads, Parameters = parameters, HeldOut = heldOut,
            Log = (previous?.Log ?? Array.Empty<PretrainingLogRow>()).Concat(rows).ToList(),
            PreviousCommands = previous is null ? Array.Empty<string>() : previous.PreviousCommands.Append(previous.Command).ToArray(),
            ResumeCommand = finished ? null : "plearn pretrain " + string.Join(" ", resumeArgs.Select(ShellQuote)),
            Checkpoint = checkpointDir,
        };
        // At every evaluation (a snapshot is written just before it): weights, an in-progress record and the card,
        // so an interrupted run leaves a usable, documented checkpoint.
        var printer = new ProgressPrinter();
        int sequencesSeen = 0; long tokensSeen = 0;
        var progress = new Progress(p =>
        {
            printer.Report(p);
            rows.Add(new PretrainingLogRow(offset + p.Step, p.Loss, p.LearningRate, Metric(p, "loss"), Metric(p, "accuracy"), Metric(p, "perplexity")));
            if (p.Metrics is null) return;
            model.Save(outDir);
            if (p.Step >= steps) return;
            var scores = new LanguageModelScores(p.Metrics["loss"], p.Metrics["perplexity"], p.Metrics["accuracy"], 0);
            Record(p.Step, scores, sequencesSeen, tokensSeen, setupSeconds + p.Elapsed.TotalSeconds, finished: false).Save(outDir);
            // the card builds and scores a model: keep torch's generator as it was, so an unbroken run and a resumed one draw the same dropout
            using var rngState = TorchSharp.torch.random.get_rng_state();
            WriteCard(outDir, null, InProgressClozeLimit);
            TorchSharp.torch.random.set_rng_state(rngState);
        });
        var result = model.Pretrain(tokenizer, corpus, pretraining, progress,
            new TrainerCheckpointing(checkpointDir, checkpointEvery), (n, t) => { sequencesSeen = n; tokensSeen = t; });
        Console.WriteLine($"held-out: accuracy {result.HeldOut.Accuracy:P2}, perplexity {result.HeldOut.Perplexity:F2}");

        // 4. Weights and config as save_pretrained writes them; the record of the run.
        model.Save(outDir);
        Record(result.Training.Steps, result.HeldOut, result.TrainSequences, result.TrainTokens, clock.Elapsed.TotalSeconds + trainedBefore, finished: true).Save(outDir);

        // 5. The card (zero-shot cloze / samples) from the saved folder.
        WriteCard(outDir, null);
        return 0;
    }

    private static double? Metric(TrainerProgress p, string name) => p.Metrics is { } m && m.TryGetValue(name, out var v) ? v : null;

    /// <summary>The model being pretrained: a BERT or GPT-2 (<see cref="ILanguageModel"/> with its config) or a BART.</summary>
    private sealed class Target : IDisposable
    {
        private readonly ILanguageModel? _model;
        private readonly TransformerConfig? _config;
        private readonly BartForConditionalGeneration? _bart;

        public Target(ILanguageModel model, TransformerConfig config) { _model = model; _config = config; }
        public Target(BartForConditionalGeneration bart) => _bart = bart;

        /// <summary>A fresh BERT (masked LM) or GPT-2 (causal LM) for <paramref name="config"/>.</summary>
        public static Target For(TransformerConfig config) =>
            new(config.IsCausal ? new GPT2LMHeadModel(config) : new BertForMaskedLM(config), config);

        public TorchSharp.torch.nn.Module Module => _model?.Module ?? _bart!;

        public PretrainingResult Pretrain(TextTokenizer tokenizer, Corpus corpus, PretrainingConfig config, IProgress<TrainerProgress> progress,
            TrainerCheckpointing checkpointing, Action<int, long> sequencesBuilt) => _bart is not null
            ? Pretrainer.Run(_bart, tokenizer, corpus.Train, corpus.HeldOut, config, progress, checkpointing, sequencesBuilt)
            : Pretrainer.Run(_model!, tokenizer, corpus.Train, corpus.HeldOut, config, progress, checkpointing, sequencesBuilt);

        /// <summary>Writes <c>model.safetensors</c>, <c>config.json</c> and (GPT-2, BART) <c>generation_config.json</c> as <c>save_pretrained</c> does.</summary>
        public void Save(string outDir)
        {
            var weights = Path.Combine(outDir, "model.safetensors");
            var configPath = Path.Combine(outDir, "config.json");
            var generationConfig = Path.Combine(outDir, "generation_config.json");
            if (_bart is { Config: var c })
            {
                StateDictLoader.Save(_bart, weights, _bart.TiedWeights);
                c.Write(configPath);
                AtomicFile.WriteText(generationConfig,
                    $"{{\n  \"bos_token_id\": {c.BosTokenId},\n  \"decoder_start_token_id\": {c.DecoderStartTokenId},\n  \"eos_token_id\": {c.EosTokenId},\n" +
                    $"  \"forced_bos_token_id\": {c.ForcedBosTokenId},\n  \"forced_eos_token_id\": {c.ForcedEosTokenId},\n  \"pad_token_id\": {c.PadTokenId}\n}}\n");
                return;
            }
            StateDictLoader.Save(_model!.Module, weights, _model.TiedWeights);
            ConfigFile.Write(_config!, configPath);
            if (_config!.IsCausal)
                AtomicFile.WriteText(generationConfig,
                    $"{{\n  \"bos_token_id\": {_config.BosTokenId},\n  \"eos_token_id\": {_config.EosTokenId}\n}}\n");
        }

        public void Dispose()
        {
            _model?.Dispose();
            _bart?.Dispose();
        }
    }

    /// <summary>Synchronous <see cref="IProgress{T}"/> (System.Progress posts to the thread pool).</summary>
    private sealed class Progress(Action<TrainerProgress> report) : IProgress<TrainerProgress>
    {
        public void Report(TrainerProgress value) => report(value);
    }

    /// <summary>Test examples per task scored for the zero-shot table of an in-progress card (the final card scores whole test sets).</summary>
    private const int InProgressClozeLimit = 200;

    /// <summary>Loads the saved folder, scores it for the card (zero-shot cloze on the first <paramref name="clozeLimit"/> test examples, all when null) and writes README.md + loss_chart.svg.</summary>
    private static void WriteCard(string folder, string? dataDir, int? clozeLimit = null)
    {
        var record = PretrainingRecord.Load(folder);
        if (record.Arch == "bart")
        {
            WriteBartCard(folder, record);
            return;
        }
        var config = ConfigFile.Read(Path.Combine(folder, "config.json"));
        var tokenizer = TokenizerFactory.FromFolder(folder);
        using ILanguageModel model = config.IsCausal ? new GPT2LMHeadModel(config) : new BertForMaskedLM(config);
        StateDictLoader.Load(model.Module, Path.Combine(folder, "model.safetensors"), TiedWeights.OptionsFor(config.ModelType));
        model.Module.eval();
        var cloze = new List<ClozeScore>();
        IReadOnlyList<(string, string)>? samples = null;
        if (config.IsCausal)
        {
            var corpus = Corpus.Read(record.Corpus);
            samples = SampleText.Greedy(model, tokenizer, SampleText.DescriptionPrompts(corpus.HeldOut, 5), 40);
        }
        else if ((dataDir ?? EmbeddedData.FindRoot()) is { } data)
            foreach (var task in PetTask.Embedded)
            {
                try { cloze.Add(ZeroShotCloze.Score(model, tokenizer, task.Name, data, clozeLimit)); }
                catch (ArgumentException e) { Console.WriteLine($"zero-shot cloze on {task.Name} skipped: {e.Message}"); }
            }
        else Console.WriteLine("no data/ folder found (--data): the card has no zero-shot cloze score");
        var card = new ModelCard
        {
            Name = Path.GetFileName(Path.GetFullPath(folder)), Config = config,
            FileBytes = new FileInfo(Path.Combine(folder, "model.safetensors")).Length, Record = record,
            ZeroShot = cloze, Samples = samples,
        };
        card.Save(folder);
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            model = folder, arch = record.Arch, size = record.Size, parameters = record.Parameters, steps = record.StepsDone,
            wall_time_s = record.WallTimeSeconds, held_out_accuracy = record.HeldOut.Accuracy,
            held_out_perplexity = record.HeldOut.Perplexity, zero_shot = cloze.ToDictionary(c => c.Task, c => Math.Round(c.Accuracy, 4)), file_mb = Math.Round(card.FileBytes / 1048576.0, 2),
        }));
    }

    /// <summary>
    /// The card of a BART folder: reconstructions of corrupted held-out texts as samples and the held-out score with and
    /// without the encoder input (no zero-shot cloze).
    /// </summary>
    private static void WriteBartCard(string folder, PretrainingRecord record)
    {
        using var loaded = Pretrained.LoadSeq2Seq(folder);
        var bart = (BartForConditionalGeneration)loaded.Model;
        var heldOut = Corpus.Read(record.Corpus).HeldOut;
        var samples = SampleText.Infill(bart, loaded.Tokenizer, heldOut.Take(BartSamples).ToList(), record.MaxLength).Select(x => (x.Corrupted, x.Output)).ToList();
        var scored = Pretrainer.BuildSequences(loaded.Tokenizer, heldOut, record.MaxLength, packing: false, causal: false)
            .Take(new PretrainingConfig().MaxHeldOutSequences).ToList();
        var lambda = record.PoissonLambda ?? Pretrainer.TextInfillingPoissonLambda;
        (LanguageModelScores, LanguageModelScores) encoderUse;
        using (TorchSharp.torch.no_grad())
            encoderUse = (Pretrainer.Score(bart, loaded.Tokenizer, scored, record.MaskProbability, lambda),
                Pretrainer.ScoreWithoutInput(bart, loaded.Tokenizer, scored, record.MaskProbability, lambda));
        var card = new ModelCard
        {
            Name = Path.GetFileName(Path.GetFullPath(folder)), BartConfig = bart.Config,
            FileBytes = new FileInfo(Path.Combine(folder, "model.safetensors")).Length, Record = record, Samples = samples,
            EncoderUse = encoderUse,
        };
        card.Save(folder);
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            model = folder, arch = record.Arch, size = record.Size, parameters = record.Parameters, steps = record.StepsDone,
            wall_time_s = record.WallTimeSeconds, held_out_accuracy = record.HeldOut.Accuracy,
            held_out_perplexity = record.HeldOut.Perplexity, file_mb = Math.Round(card.FileBytes / 1048576.0, 2),
        }));
    }

    /// <summary>Held-out texts reconstructed for a BART card.</summary>
    private const int BartSamples = 5;

    /// <summary>An argument as a POSIX shell reads it back: single-quoted when it holds anything but plain characters.</summary>
    private static string ShellQuote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsAsciiLetterOrDigit(c) || "_./,:=+-@%".Contains(c)) ? arg : "'" + arg.Replace("'", "'\\''") + "'";
}

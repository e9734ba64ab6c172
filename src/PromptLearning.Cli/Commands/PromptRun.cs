using PromptLearning.Checkpoints;
using PromptLearning.Data;
using PromptLearning.Prompts;
using PromptLearning.Prompts.PrefixTuning;
using PromptLearning.Prompts.PTuning;
using PromptLearning.Prompts.PTuningV2;
using PromptLearning.Prompts.PromptTuning;

namespace PromptLearning.Cli.Commands;

/// <summary>Options shared by <c>plearn train</c>, <c>plearn eval prompt</c> and <c>plearn bench</c>: model lookup and method configs from flags.</summary>
internal static class PromptRun
{
    public const string MethodHelp = "prompt|ptuning|prefix|ptuning2|finetune|head|zero-shot";

    /// <summary>The embedded default model for a task: gpt2-small for table-to-text, bert-base otherwise.</summary>
    public static string DefaultModel(string task) => task == EmbeddedData.E2e ? "gpt2-small" : "bert-base";

    /// <summary>A folder as given, else an embedded model <c>data/models/NAME</c>, else the name itself (hub id / cache).</summary>
    public static string ResolveModel(string name)
    {
        if (Directory.Exists(name)) return name;
        if (EmbeddedData.FindRoot() is { } root && Directory.Exists(Path.Combine(root, "models", name))) return Path.Combine(root, "models", name);
        return name;
    }

    /// <summary>Loads <paramref name="name"/>: a folder, an embedded model (data/models/NAME), or a hub id.</summary>
    public static PretrainedModel LoadModel(string name) => Pretrained.Load(ResolveModel(name));

    /// <summary>The method's paper defaults, overridden by the flags given.</summary>
    public static PromptMethodConfig Config(string method, Options o)
    {
        method = PromptMethods.Normalize(method);
        if (!PromptMethods.All.Contains(method)) throw new CliUsageException($"--method expects {MethodHelp}, got '{method}'");
        var config = PromptMethodConfig.Default(method);
        config = config switch
        {
            PromptTuningConfig c => c with
            {
                Length = o.GetInt("length", c.Length, min: 1),
                Init = o.Get("init") switch { null => c.Init, "vocab" => PromptInit.SampledVocab, "uniform" => PromptInit.RandomUniform, "text" => PromptInit.Text, var v => throw new CliUsageException($"--init expects vocab|uniform|text, got '{v}'") },
                InitText = o.Get("init-text") ?? c.InitText,
            },
            PTuningConfig c => c with
            {
                Encoder = o.Get("encoder") switch { null => c.Encoder, "lstm" => PromptEncoderKind.Lstm, "mlp" => PromptEncoderKind.Mlp, var v => throw new CliUsageException($"--encoder expects lstm|mlp, got '{v}'") },
                TrainBackbone = o.Has("train-backbone"),
            },
            PrefixTuningConfig c => c with
            {
                Length = o.GetInt("length", c.Length, min: 1),
                Reparameterize = !o.Has("no-reparam"),
                HiddenSize = o.GetInt("prefix-hidden", c.HiddenSize, min: 1),
                InitText = o.Get("init-text") ?? c.InitText,
            },
            PTuningV2Config c => c with
            {
                Length = o.GetInt("length", c.Length, min: 1),
                Reparameterize = o.Has("reparam"),
                HiddenSize = o.GetInt("prefix-hidden", c.HiddenSize, min: 1),
                InitStd = o.GetDouble("init-std", c.InitStd, min: 0),
            },
            _ => config,
        };
        var template = o.Get("template");
        if (template is not null)
        {
            try { PromptTemplate.Parse(template); }
            catch (FormatException e) { throw new CliUsageException($"--template: {e.Message}"); }
        }
        var optimizer = o.Get("optimizer");
        if (optimizer is not (null or "adamw" or "adafactor")) throw new CliUsageException($"--optimizer expects adamw|adafactor, got '{optimizer}'");
        return config with
        {
            Template = template ?? config.Template,
            Head = o.Get("head") switch { null => config.Head, "cloze" => HeadKind.Cloze, "cls" => HeadKind.Classification, "pooled" => HeadKind.PooledClassification, "token" => HeadKind.Token, "lm" => HeadKind.LanguageModel, var v => throw new CliUsageException($"--head expects cloze|cls|pooled|token|lm, got '{v}'") },
            LearningRate = o.GetDouble("lr", config.LearningRate, min: 0),
            BatchSize = o.GetInt("batch", config.BatchSize, min: 1),
            Optimizer = optimizer ?? config.Optimizer,
            MaxLength = o.GetInt("max-length", config.MaxLength, min: 8),
            Seed = o.GetInt("seed", config.Seed),
        };
    }

    /// <summary>Total bytes of the files in <paramref name="folder"/>.</summary>
    public static long FolderBytes(string folder) => new DirectoryInfo(folder).EnumerateFiles().Sum(f => f.Length);
}

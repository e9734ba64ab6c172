using PromptLearning.Models;
using PromptLearning.Pretraining;
using PromptLearning.Training;

namespace PromptLearning.Tests.Pretraining;

public class ModelCardTests
{
    private static PretrainingRecord Record() => new()
    {
        Command = "plearn pretrain --arch bert --size small --corpus data/corpus --out x --steps 4", Arch = "bert", Size = "small",
        Corpus = "data/corpus", TrainDocuments = 10, HeldOutDocuments = 2, TrainSequences = 5, TrainTokens = 300, MaxLength = 64,
        Packing = true, Trainer = new TrainerConfig { MaxSteps = 4, BatchSize = 2 }, StepsDone = 4, WallTimeSeconds = 12.5,
        Threads = 1, Parameters = 1234, HeldOut = new LanguageModelScores(2.0, Math.Exp(2.0), 0.25, 40),
        Log = new[]
        {
            new PretrainingLogRow(2, 5.5, 1e-3, null, null, null),
            new PretrainingLogRow(4, 4.5, 5e-4, 4.25, 0.25, Math.Exp(4.25)),
        },
    };

    [Fact]
    public void RecordRoundTripsThroughTheFolder()
    {
        var dir = Directory.CreateTempSubdirectory("plearn-card-").FullName;
        Record().Save(dir);
        var back = PretrainingRecord.Load(dir);
        Assert.Equal(Record().Command, back.Command);
        Assert.Equal(Record().HeldOut, back.HeldOut);
        Assert.Equal(Record().Log, back.Log);
        Assert.Equal(4, back.Trainer.MaxSteps);
    }

    [Fact]
    public void MissingRecordIsNamed()
    {
        var dir = Directory.CreateTempSubdirectory("plearn-card-").FullName;
        var ex = Assert.Throws<FileNotFoundException>(() => PretrainingRecord.Load(dir));
        Assert.Contains("pretraining.json", ex.Message);
    }

    [Fact]
    public void CardReportsSizeMetricsLossAndChart()
    {
        var card = new ModelCard
        {
            Name = "bert-test", FileBytes = 3 * 1048576,
            Config = new TransformerConfig { ModelType = "bert", VocabSize = 100, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 64, MaxPositionEmbeddings = 64 },
            Record = Record(), ZeroShot = [new ClozeScore("sentiment", "{a} It was [MASK].", "0: terrible; 1: great", 800, 0.75), new ClozeScore("rating", "{a} Rating: [MASK]/5.", "1: 1; 2: 2; 3: 3; 4: 4; 5: 5", 200, 0.4)],
        };
        var md = card.ToMarkdown();
        Assert.Contains("| parameters | 1,234 |", md);
        Assert.Contains("3.00 MB", md);
        Assert.Contains("| masked-token accuracy | 25.0 % |", md.Replace("25.0%", "25.0 %"));
        Assert.Contains("| 4 | 4.500 | 4.250 |", md);
        Assert.Contains("![training loss](loss_chart.svg)", md);
        Assert.Contains("| sentiment | `{a} It was [MASK].` | 0: terrible; 1: great | 800 | 75.0", md);
        Assert.Contains("| rating | `{a} Rating: [MASK]/5.` | 1: 1; 2: 2; 3: 3; 4: 4; 5: 5 | 200 | 40.0", md);
        Assert.Contains(Record().Command, md);
        var svg = card.Chart();
        Assert.StartsWith("<svg", svg);
        Assert.Contains("<polyline", svg);
        Assert.Contains("optimizer step", svg);
    }

    [Fact]
    public void BartCardReportsBothStacksTheObjectiveAndReconstructions()
    {
        var bart = ModelPresets.CreateBart("small", 300, 64);
        var record = Record() with { Arch = "bart", MaskProbability = 0.3, PoissonLambda = 3, Packing = false };
        var card = new ModelCard
        {
            Name = "bart-test", FileBytes = 1048576, Record = record, BartConfig = bart,
            Samples = [("It was<mask>.", "It was great.")],
        };
        var md = card.ToMarkdown();
        Assert.Contains("`BartForConditionalGeneration`", md);
        Assert.Contains($"| {bart.EncoderLayers} / {bart.DecoderLayers} / {bart.DModel} / {bart.EncoderAttentionHeads} / {bart.EncoderFfnDim} |", md);
        Assert.Contains("text infilling (BART): 30 % of the tokens", md.Replace("30%", "30 %"));
        Assert.Contains("Poisson(λ = 3)", md);
        Assert.Contains("| reconstruction token accuracy (teacher-forced) | 25.0 % |", md.Replace("25.0%", "25.0 %"));
        Assert.Contains("- **It was<mask>.** → It was great.", md);
        Assert.DoesNotContain("plearn eval lm", md);
        Assert.Contains("text-infilling pretraining", card.Chart());
        Assert.DoesNotContain("read the encoder", md);
        var ignoring = (card with { EncoderUse = (new LanguageModelScores(1.20, Math.Exp(1.20), 0.65, 100), new LanguageModelScores(1.23, Math.Exp(1.23), 0.64, 100)) }).ToMarkdown();
        Assert.Contains("| all `<mask>` | 1.230 | 64.0", ignoring.Replace("64.0%", "64.0 %"));
        Assert.Contains("**the decoder hardly uses the encoder**", ignoring);
        var copying = (card with { EncoderUse = (new LanguageModelScores(0.5, Math.Exp(0.5), 0.9, 100), new LanguageModelScores(1.23, Math.Exp(1.23), 0.64, 100)) }).ToMarkdown();
        Assert.Contains("the decoder copies from the input", copying);
        Assert.Throws<InvalidOperationException>(() => (card with { Config = new TransformerConfig { ModelType = "bert" } }).ToMarkdown());
    }

    [Fact]
    public void AnInterruptedStageIsMarkedHalfDoneWithItsResumeCommand()
    {
        var record = Record() with { ResumeCommand = "plearn pretrain --arch bert --out m --resume", Checkpoint = "m/checkpoint" };
        var card = new ModelCard
        {
            Name = "bert-test", FileBytes = 1048576, Record = record,
            Config = new TransformerConfig { ModelType = "bert", VocabSize = 100, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 64, MaxPositionEmbeddings = 64 },
        };
        var md = card.ToMarkdown();
        Assert.Contains("**HALF-DONE**", md);
        Assert.Contains("plearn pretrain --arch bert --out m --resume", md);
        Assert.Contains("`m/checkpoint`", md);
        Assert.DoesNotContain("HALF-DONE", (card with { Record = Record() }).ToMarkdown());
    }
}

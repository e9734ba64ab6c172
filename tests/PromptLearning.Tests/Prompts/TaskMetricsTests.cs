using PromptLearning.Prompts;
using Xunit;

namespace PromptLearning.Tests.Prompts;

public class TaskMetricsTests
{
    /// <summary>The main metric comes first (the trainer's early stopping reads the first entry), unmeasured ones are absent.</summary>
    [Fact]
    public void DictionaryListsTheMeasuredMetricsMainFirst()
    {
        var m = new TaskMetrics { Main = "rouge_l", Bleu = 0.25, RougeL = 0.5, Rouge1 = 0.6, Rouge2 = 0.3 };
        Assert.Equal(["rouge_l", "bleu", "rouge_1", "rouge_2"], m.ToDictionary().Keys);
        Assert.Equal(0.5, m.MainValue);
        Assert.Equal(0.25, m["bleu"]);
        Assert.Equal("rouge_l 0.5000, bleu 0.2500, rouge_1 0.6000, rouge_2 0.3000", m.ToString());
    }

    /// <summary>Asking for a metric the task kind does not have names it and what was measured.</summary>
    [Fact]
    public void UnmeasuredMetricIsANamedError()
    {
        var m = new TaskMetrics { Main = "accuracy", Accuracy = 0.8, MacroF1 = 0.75 };
        var e = Assert.Throws<KeyNotFoundException>(() => m["span_f1"]);
        Assert.Contains("'span_f1'", e.Message);
        Assert.Contains("accuracy, macro_f1", e.Message);
    }
}

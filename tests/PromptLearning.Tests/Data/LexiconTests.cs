using PromptLearning.Data.World;

namespace PromptLearning.Tests.Data;

public class LexiconTests
{
    [Fact]
    public void OpinionVocabularyIsTheOpinionPartOfTheContentVocabulary()
    {
        var content = Lexicon.Vocabulary();
        var opinion = Lexicon.OpinionVocabulary();
        Assert.Equal(opinion.Count, opinion.Distinct().Count());
        Assert.All(opinion, w => Assert.Contains(w, content));
        Assert.All(opinion, w => Assert.Equal(w.ToLowerInvariant(), w));
        // every level's verdicts, both polarities of an aspect's adjectives, intensifiers and hedges; no function words, no entities
        Assert.Contains("terrible", opinion);
        Assert.Contains("great", opinion);
        Assert.Contains("delicious", opinion);
        Assert.Contains("rude", opinion);
        Assert.Contains("extremely", opinion);
        Assert.Contains("somewhat", opinion);
        Assert.Contains("rip", opinion); // "a rip-off" split at the hyphen
        Assert.DoesNotContain("not", opinion);
        Assert.DoesNotContain("a", opinion);
        Assert.DoesNotContain("pasta", opinion);
        Assert.True(opinion.Count < content.Count);
    }
}

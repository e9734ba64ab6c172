using PromptLearning.Prompts;
using PromptLearning.Pet;
using PromptLearning.Tokenization;

namespace PromptLearning.Tests.Pet;

public class ExpressiblePvpTests
{
    [FixtureFact]
    public void PvpsWhoseWordsTheVocabularyLacksAreLeftOutWithTheReason()
    {
        var tokenizer = TokenizerFactory.FromFolder(HfFixtures.Model("bert"), "bert");
        foreach (var task in PetTask.Embedded)
        {
            var (pvps, skipped) = task.BuildExpressiblePvps(tokenizer, 64);
            Assert.Equal(task.Pvps.Count, pvps.Count + skipped.Count);
            // What is kept builds; what is left out is exactly what BuildPvps would refuse.
            for (int i = 0; i < task.Pvps.Count; i++)
            {
                bool builds = true;
                try { task.Pvps[i].Build(tokenizer, task.Labels, 64); }
                catch (ArgumentException) { builds = false; }
                Assert.Equal(builds, !skipped.Any(s => s.Contains(task.Pvps[i].Template, StringComparison.Ordinal) && s.Contains(task.Pvps[i].Verbalizer, StringComparison.Ordinal)));
            }
            Assert.All(skipped, s => Assert.StartsWith(task.Name + ":", s));
        }
    }
}

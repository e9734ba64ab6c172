using PromptLearning.Checkpoints;
using PromptLearning.Models;
using PromptLearning.Prompts;
using PromptLearning.Prompts.Baselines;
using static TorchSharp.torch;

namespace PromptLearning.Tests.Prompts;

/// <summary>In-context learning on the tiny GPT-2 fixture: the library's prompt and scores against a prompt built by hand.</summary>
public class InContextLearningTests
{
    [FixtureFact]
    public void PredictsTheLabelWhoseWordTheModelScoresHighestAfterTheDemonstrations()
    {
        using var gpt2 = Pretrained.Load(HfFixtures.Model("gpt2"));
        var tok = gpt2.Tokenizer;
        var words = PetFixtureWords(tok);
        var pool = new List<PromptExample>
        {
            new("the soup was cold") { Label = 0 }, new("a lovely evening") { Label = 1 },
            new("slow and rude") { Label = 0 }, new("we will be back") { Label = 1 },
        };
        var dev = new List<PromptExample> { new("the bread was stale") { Label = 0 }, new("friendly staff") { Label = 1 } };
        var query = PromptTemplate.Parse("{a} It was");
        foreach (var (shots, seed) in new[] { (0, 0), (2, 1), (3, 2) })
        {
            var predicted = InContextLearning.Predict(gpt2.Model, tok, query, words, pool, dev, shots, seed);
            // By hand: demonstrations cycle through the labels from the seed, each drawn from its label's pool examples.
            var rng = new Random(seed);
            for (int d = 0; d < dev.Count; d++)
            {
                var ids = new List<int> { tok.EosTokenId ?? 0 };
                for (int i = 0; i < shots; i++)
                {
                    var of = pool.Where(p => p.Label == (i + seed) % words.Length).ToList();
                    var demo = of[rng.Next(of.Count)];
                    ids.AddRange(tok.Encode($"{demo.A} It was {words[demo.Label]}.\n"));
                }
                ids.AddRange(tok.Encode($"{dev[d].A} It was"));
                int max = gpt2.Config.MaxPositionEmbeddings;   // a longer prompt keeps its last tokens
                if (ids.Count > max) ids = ids.Skip(ids.Count - max).ToList();
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                gpt2.Model.Module.eval();
                var last = gpt2.Model.Forward(new ForwardArgs { InputIds = tensor(ids.Select(i => (long)i).ToArray()).unsqueeze(0) }).Logits![0, -1];
                var scores = words.Select(w => last[tok.Encode(" " + w)[0]].item<float>()).ToArray();
                Assert.Equal(Array.IndexOf(scores, scores.Max()), predicted[d]);
            }
            double accuracy = InContextLearning.Accuracy(gpt2.Model, tok, query, words, pool, dev, shots, seed);
            Assert.Equal(dev.Select((e, i) => predicted[i] == e.Label ? 1.0 : 0.0).Average(), accuracy, 12);
        }
        var masked = Assert.Throws<ArgumentException>(() => InContextLearning.Predict(gpt2.Model, tok, PromptTemplate.Parse("{a} [MASK]"), words, pool, dev, 1, 0));
        Assert.Contains("[MASK]", masked.Message);
    }

    /// <summary>Two words that are one byte-level token after a space in the fixture's vocabulary.</summary>
    private static string[] PetFixtureWords(PromptLearning.Tokenization.TextTokenizer tok) =>
        PromptLearning.Tests.Pet.PetFixtureTests.SingleTokenWords(tok, 2);
}

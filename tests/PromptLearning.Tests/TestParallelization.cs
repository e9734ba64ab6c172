// Test classes run one after another. The prompt encoders now initialise from their own generators
// (no constructor reseeds torch), but parallel classes would still share torch's global generator:
// Trainer seeds it and dropout draws from it (libtorch has no per-module dropout generator), so the
// learning tests' dropout masks would depend on which other class runs at the same time. Parallel
// runs also put the GC under enough pressure that a TorchSharp Scalar was once finalised while
// libtorch still read it (AdamW.step in CI: "toDouble: Expected false to be true"); src/ now holds
// every scalar it passes to TorchSharp (src/PromptLearning/Native/Scalars.cs, src/BannedSymbols.txt). The suite takes about as long either way on two cores.
// Moving dropout off the global generator is not a local change: every dropout site (BERT/GPT-2
// layers, attention probabilities, heads, prefix dropout) would draw from a per-run generator, so every
// training result and notebook number changes, and TrainerCheckpoint's resumable snapshots (e.g. the
// from-scratch pretraining of data/models/bert-base, resumed across two sessions) save torch's global generator
// state, which would no longer be the state that drives their dropout. Model and head initialisation
// (InitCommon, nn.Linear defaults) also draw from the global generator.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]

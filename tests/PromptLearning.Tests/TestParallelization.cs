// Test classes run one after another. Run in parallel they share torch's global random generator
// (a seed set by one test is consumed by another) and put the GC under enough pressure that a
// TorchSharp Scalar was once finalised while libtorch still read it (AdamW.step in CI: "toDouble:
// Expected false to be true"). The suite takes about as long either way on two cores.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]

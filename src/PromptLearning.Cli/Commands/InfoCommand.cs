using PromptLearning.Native;

namespace PromptLearning.Cli.Commands;

/// <summary><c>plearn info</c>: versions and whether the TorchSharp native patch was applied.</summary>
public sealed class InfoCommand : ICommand
{
    public string Name => "info";
    public string Summary => "print versions and the TorchSharp native-library status";

    public int Run(string[] args)
    {
        Console.WriteLine($"PromptLearning {typeof(TorchSharpNative).Assembly.GetName().Version}");
        Console.WriteLine($"TorchSharp native: {TorchSharpNative.EnsureLoaded()}");
        Console.WriteLine($"libtorch threads: {TorchSharp.torch.get_num_threads()}");
        return 0;
    }
}

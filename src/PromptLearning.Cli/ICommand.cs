namespace PromptLearning.Cli;

/// <summary>One <c>plearn</c> sub-command. Implementations live in Commands/ and are found by reflection.</summary>
public interface ICommand
{
    /// <summary>The word after <c>plearn</c>.</summary>
    string Name { get; }
    /// <summary>One line for <c>plearn --help</c>.</summary>
    string Summary { get; }
    /// <summary>Runs with the remaining arguments; returns the process exit code.</summary>
    int Run(string[] args);
}

/// <summary>Bad command-line usage; printed without a stack trace, exit code 2.</summary>
public sealed class CliUsageException(string message) : Exception(message);

using System.Reflection;
using PromptLearning.Cli;

// plearn: every command is a class implementing ICommand in Commands/, found by reflection.
var commands = typeof(ICommand).Assembly.GetTypes()
    .Where(t => typeof(ICommand).IsAssignableFrom(t) && !t.IsAbstract && !t.IsInterface)
    .Select(t => (ICommand)Activator.CreateInstance(t)!)
    .OrderBy(c => c.Name, StringComparer.Ordinal)
    .ToList();

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.WriteLine("plearn: prompt-based tuning experiments from the command line\n");
    Console.WriteLine("usage: plearn <command> [options]   (plearn <command> --help for its options)\n");
    foreach (var c in commands) Console.WriteLine($"  {c.Name,-12} {c.Summary}");
    return args.Length == 0 ? 2 : 0;
}

var command = commands.FirstOrDefault(c => c.Name == args[0]);
if (command is null)
{
    Console.Error.WriteLine($"plearn: unknown command '{args[0]}'. Known: {string.Join(", ", commands.Select(c => c.Name))}");
    return 2;
}
try
{
    return command.Run(args[1..]);
}
catch (CliUsageException e)
{
    Console.Error.WriteLine($"plearn {command.Name}: {e.Message}");
    return 2;
}
catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or InvalidOperationException
    or ArgumentException or FormatException or NotSupportedException or KeyNotFoundException)
{
    Console.Error.WriteLine($"plearn {command.Name}: {e.Message}");
    return 1;
}
catch (Exception e)
{
    // Not a kind of bad input the library documents: still one line, with its type; PLEARN_TRACE=1 adds the stack.
    Console.Error.WriteLine(Environment.GetEnvironmentVariable("PLEARN_TRACE") == "1"
        ? $"plearn {command.Name}: {e}"
        : $"plearn {command.Name}: unexpected {e.GetType().Name}: {e.Message} (PLEARN_TRACE=1 prints the stack trace)");
    return 1;
}

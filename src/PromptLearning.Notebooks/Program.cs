using PromptLearning.Notebooks;

// The per-notebook runner process: `PromptLearning.Notebooks <notebook.ipynb> --out <file.ipynb>
// [--html <file.html>] [--timeout <seconds>] [--echo]`. One notebook per process, so scripts only
// see the framework and the kernel shim (not the caller's assemblies), Console redirection is
// private to the run, and a cell that outlives the time limit ends with the process.
// Exit codes: 0 all cells ran, 1 a cell failed, 124 time limit, 2 usage.
string? input = null, output = null, html = null;
double timeout = 0;
bool echo = false;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--out" when i + 1 < args.Length: output = args[++i]; break;
        case "--html" when i + 1 < args.Length: html = args[++i]; break;
        case "--timeout" when i + 1 < args.Length && double.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out timeout): i++; break;
        case "--echo": echo = true; break;
        default:
            if (input is null && !args[i].StartsWith("--", StringComparison.Ordinal)) { input = args[i]; break; }
            Console.Error.WriteLine($"PromptLearning.Notebooks: unexpected argument '{args[i]}'");
            return 2;
    }
}
if (input is null || output is null)
{
    Console.Error.WriteLine("usage: PromptLearning.Notebooks <notebook.ipynb> --out <file.ipynb> [--html <file.html>] [--timeout <seconds>] [--echo]");
    return 2;
}

var progress = Console.Out; // captured before the runner redirects Console to the cells
NotebookDocument notebook;
try { notebook = NotebookDocument.Load(input); }
catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
{
    progress.WriteLine(e.Message);
    return 1;
}
output = Path.GetFullPath(output);
html = html is null ? null : Path.GetFullPath(html);
var runner = new NotebookRunner(notebook, progress, echo);
var run = Task.Run(runner.RunAsync);
bool finished = timeout <= 0 ? run.Wait(Timeout.Infinite) : run.Wait(TimeSpan.FromSeconds(timeout));
var result = finished ? run.Result : runner.MarkTimedOut(TimeSpan.FromSeconds(timeout));
runner.Save(output);
if (html is not null) HtmlPage.Write(notebook, html);
if (!result.Succeeded) progress.WriteLine(result.Message);
progress.Flush();
// Exit at once: a timed-out cell (or a stray background task) must not keep the process alive.
Environment.Exit(finished ? (result.Succeeded ? 0 : 1) : 124);
return 0;

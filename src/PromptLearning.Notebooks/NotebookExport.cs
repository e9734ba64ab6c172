using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace PromptLearning.Notebooks;

/// <summary>
/// Turns a Polyglot C# notebook into a .NET 10 file-based app (<c>dotnet run name.cs</c>), the path
/// Microsoft recommends now that Polyglot Notebooks and .NET Interactive are deprecated
/// (dotnet/interactive#4163). Per cell, parsed as C# script: <c>#r "nuget: X, V"</c> becomes
/// <c>#:package X@V</c> (kernel extensions such as Plotly.NET.Interactive are dropped: the app
/// shows values itself; a floating version of a local-feed package, <c>PromptLearning</c> or
/// <c>PromptLearning.Display</c>, is pinned to the feed's current build), <c>using</c> directives move to the top, type declarations to the end
/// (C# requires both around top-level statements), a cell's trailing expression becomes
/// <c>display(expr);</c>, and markdown cells become <c>//</c> comments. <c>display</c> and
/// <c>HTML</c> come from <c>PromptLearning.Display.FileBasedOutput</c> (charts written as HTML files)
/// when the notebook references the display package, else print the value. A <c>nuget.config</c> beside the
/// exported files names the repository's local feed, as <c>notebooks/nuget.config</c> does.
/// </summary>
public static partial class NotebookExport
{
    /// <summary>Packages that exist only as kernel extensions; a file-based app does not need them.</summary>
    private static readonly HashSet<string> KernelExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        "Plotly.NET.Interactive", "Microsoft.DotNet.Interactive", "Microsoft.DotNet.Interactive.Formatting",
    };

    [GeneratedRegex(@"^\s*#r\s+""nuget:\s*([^,""\s]+)\s*(?:,\s*([^""\s]+)\s*)?""\s*$")] private static partial Regex NugetReference();
    [GeneratedRegex(@"^\s*#(i|r|!)")] private static partial Regex Directive();

    /// <summary>The file-based app for <paramref name="notebook"/>; <paramref name="sourceName"/> is named in its header. Throws <see cref="InvalidDataException"/> naming the cell for a non-C# cell or an unsupported directive.</summary>
    /// <param name="notebook">The notebook.</param>
    /// <param name="sourceName">Its file name, for the header.</param>
    /// <param name="notebookFolderFromApp">The notebook's folder relative to the exported file: the app makes it the current directory, so relative paths in cells mean what they mean in the kernel.</param>
    /// <param name="libraryVersion">The version to pin for a floating reference to a package of <see cref="LocalFeed.Packages"/> (a file-based app keeps the first resolution of a floating version in its build cache), or null to keep it.</param>
    public static string ToFileBasedApp(NotebookDocument notebook, string sourceName, string notebookFolderFromApp, string? libraryVersion = null)
    {
        var packages = new List<string>();
        var usings = new List<string>();
        var types = new List<string>();
        var body = new StringBuilder();
        bool usesDisplay = false;
        foreach (var cell in notebook.Cells)
        {
            if (cell.CellType == "markdown")
            {
                body.AppendLine();
                foreach (var line in cell.Source.Replace("\r\n", "\n").TrimEnd().Split('\n')) body.AppendLine(("// " + line).TrimEnd());
                continue;
            }
            if (cell.CellType != "code") continue;
            var kernel = cell.Kernel ?? notebook.DefaultKernel;
            if (kernel is not ("csharp" or "C#" or "c#"))
                throw new InvalidDataException($"{notebook.Path}: cell {cell.Number} runs in kernel '{kernel}'; only C# cells can be exported.");

            var code = new StringBuilder();
            foreach (var line in cell.Source.Replace("\r\n", "\n").Split('\n'))
            {
                if (NugetReference().Match(line) is { Success: true } m)
                {
                    var (name, version) = (m.Groups[1].Value, m.Groups[2].Success ? m.Groups[2].Value : "*");
                    bool library = LocalFeed.Packages.Contains(name, StringComparer.OrdinalIgnoreCase);
                    usesDisplay |= name.Equals(LocalFeed.DisplayPackage, StringComparison.OrdinalIgnoreCase);
                    if (library && libraryVersion is not null && version.Contains('*')) version = libraryVersion;
                    if (!KernelExtensions.Contains(name) && !packages.Contains($"#:package {name}@{version}")) packages.Add($"#:package {name}@{version}");
                    continue;
                }
                if (Directive().IsMatch(line))
                    throw new InvalidDataException($"{notebook.Path}: cell {cell.Number}: '{line.Trim()}' has no equivalent in a file-based app.");
                code.AppendLine(line);
            }
            body.AppendLine().AppendLine($"// ---- cell {cell.Number}{(cell.Id is null ? "" : $" ({cell.Id})")}");
            SplitCell(code.ToString(), usings, types, body);
        }

        var app = new StringBuilder();
        app.AppendLine("#!/usr/bin/env dotnet");
        app.AppendLine($"// {Path.GetFileName(sourceName)} exported as a .NET file-based app by `plearn notebooks export`. Run: dotnet run {Path.GetFileNameWithoutExtension(sourceName)}.cs");
        foreach (var p in packages) app.AppendLine(p);
        app.AppendLine();
        foreach (var u in usings.Distinct()) app.AppendLine(u);
        if (usesDisplay) app.AppendLine("using static PromptLearning.Display.FileBasedOutput;");
        app.AppendLine();
        app.AppendLine("// Relative paths in the cells are relative to the notebook's folder, as in the kernel.");
        app.AppendLine($"System.IO.Directory.SetCurrentDirectory(System.IO.Path.GetFullPath(System.IO.Path.Combine((string)AppContext.GetData(\"EntryPointFileDirectoryPath\")!, {SymbolDisplay.FormatLiteral(notebookFolderFromApp.Replace('\\', '/'), quote: true)})));");
        app.Append(body);
        if (!usesDisplay)
        {
            app.AppendLine().AppendLine("static void display(object? value) => Console.WriteLine(value);");
            app.AppendLine("static string HTML(string html) => html;");
        }
        foreach (var t in types) app.AppendLine().AppendLine(t);
        return app.ToString();
    }

    /// <summary>Parses one cell as C# script and distributes it: usings, statements (trailing expression shown), type declarations.</summary>
    private static void SplitCell(string code, List<string> usings, List<string> types, StringBuilder body)
    {
        var root = (CompilationUnitSyntax)CSharpSyntaxTree.ParseText(code, new CSharpParseOptions(LanguageVersion.Latest, kind: SourceCodeKind.Script)).GetRoot();
        usings.AddRange(root.Usings.Select(u => u.WithoutTrivia().ToFullString()));
        var members = root.Members;
        for (int i = 0; i < members.Count; i++)
        {
            var member = members[i];
            if (member is BaseTypeDeclarationSyntax or DelegateDeclarationSyntax) { types.Add(member.ToFullString().Trim()); continue; }
            var text = member.ToFullString();
            if (i == members.Count - 1 && member is GlobalStatementSyntax { Statement: ExpressionStatementSyntax { SemicolonToken.IsMissing: true } last })
                text = member.GetLeadingTrivia().ToFullString() + $"display({last.Expression.ToFullString().Trim()});";
            body.AppendLine(text.TrimEnd());
        }
    }

    /// <summary>Exports notebooks into <paramref name="outDir"/> (one <c>.cs</c> per notebook, plus a <c>nuget.config</c> naming the local feed of the repository they come from); returns the files written.</summary>
    public static IReadOnlyList<string> Export(IReadOnlyList<string> inputs, string outDir, TextWriter log)
    {
        var notebooks = NotebookBatch.Expand(inputs, outDir);
        if (notebooks.Count == 0) throw new FileNotFoundException($"no .ipynb notebooks found in {string.Join(", ", inputs)}");
        Directory.CreateDirectory(outDir);
        var written = new List<string>();
        string? repo = null;
        foreach (var (source, relative) in notebooks)
        {
            repo ??= NotebookBatch.FindRepoRoot(Path.GetDirectoryName(source)!);
            var path = Path.GetFullPath(Path.Combine(outDir, Path.ChangeExtension(relative, ".cs")));
            var app = ToFileBasedApp(NotebookDocument.Load(source), source, Path.GetRelativePath(Path.GetDirectoryName(path)!, Path.GetDirectoryName(source)!),
                repo is null ? null : LocalFeed.CurrentVersion(repo));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, app);
            written.Add(path);
            log.WriteLine($"{relative} -> {path}");
        }
        if (repo is not null)
        {
            var config = Path.Combine(Path.GetFullPath(outDir), "nuget.config");
            var feed = Path.GetRelativePath(Path.GetFullPath(outDir), LocalFeed.Folder(repo));
            File.WriteAllText(config,
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n  <packageSources>\n" +
                $"    <add key=\"promptlearning-local\" value=\"{System.Security.SecurityElement.Escape(feed)}\" />\n" +
                "  </packageSources>\n</configuration>\n");
            written.Add(config);
        }
        return written;
    }
}

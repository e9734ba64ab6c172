namespace PromptLearning.Notebooks.Kernel;

/// <summary>
/// The helpers a Polyglot C# cell sees without any <c>using</c>, as <c>using static
/// Microsoft.DotNet.Interactive.Kernel;</c> provides them in the real kernel: <c>display(x)</c>
/// and <c>HTML(s)</c>. The headless runner imports this class statically into every notebook.
/// </summary>
public static class KernelHelpers
{
    /// <summary>Shows <paramref name="value"/> below the cell, formatted by the runner (optionally as one of the given MIME types).</summary>
    public static DisplayedValue display(object? value, params string[] mimeTypes) => DisplaySink.Display(value, mimeTypes);

    /// <summary>Marks a string as HTML so that it is shown as <c>text/html</c>.</summary>
    public static HtmlString HTML(string html) => new(html);
}

/// <summary>An HTML fragment (what <c>HTML("...")</c> returns); shown as <c>text/html</c>.</summary>
public sealed class HtmlString(string html)
{
    /// <summary>The HTML markup.</summary>
    public string Html { get; } = html;

    /// <inheritdoc />
    public override string ToString() => Html;
}

/// <summary>A shown value that can be replaced in place, like the real kernel's <c>DisplayedValue</c>.</summary>
public sealed class DisplayedValue
{
    private readonly int _id;
    private readonly string[] _mimeTypes;

    internal DisplayedValue(int id, string[] mimeTypes) { _id = id; _mimeTypes = mimeTypes; }

    /// <summary>Replaces the shown value with <paramref name="value"/>.</summary>
    public void Update(object? value) => DisplaySink.Update(_id, value, _mimeTypes);
}

/// <summary>Where displayed values go. The runner installs the receiver; scripts never touch it.</summary>
public static class DisplaySink
{
    /// <summary>Receives a value to show; returns an id for later updates.</summary>
    public delegate int DisplayHandler(object? value, string[] mimeTypes);

    /// <summary>Replaces the value shown under an id.</summary>
    public delegate void UpdateHandler(int id, object? value, string[] mimeTypes);

    private static DisplayHandler? _display;
    private static UpdateHandler? _update;

    /// <summary>Installs the runner's receivers (one runner per process).</summary>
    public static void Install(DisplayHandler display, UpdateHandler update) { _display = display; _update = update; }

    internal static DisplayedValue Display(object? value, string[] mimeTypes)
    {
        var handler = _display ?? throw new InvalidOperationException("display() was called outside a notebook runner.");
        return new DisplayedValue(handler(value, mimeTypes), mimeTypes);
    }

    internal static void Update(int id, object? value, string[] mimeTypes)
    {
        var handler = _update ?? throw new InvalidOperationException("DisplayedValue.Update was called outside a notebook runner.");
        handler(id, value, mimeTypes);
    }
}

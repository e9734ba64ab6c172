using PromptLearning.Notebooks.Kernel;

namespace System;

/// <summary>
/// <c>x.Display()</c> and <c>"..".DisplayAs("text/html")</c>, declared in namespace System as the
/// real kernel's <c>DisplayExtensions</c> are, so notebook code calls them without a <c>using</c>.
/// </summary>
public static class DisplayExtensions
{
    /// <summary>Shows the value below the cell (optionally as one of the given MIME types).</summary>
    public static DisplayedValue Display(this object? value, params string[] mimeTypes) => KernelHelpers.display(value, mimeTypes);

    /// <summary>Shows a string as the given MIME type, e.g. <c>text/html</c> or <c>text/markdown</c>.</summary>
    public static DisplayedValue DisplayAs(this string value, string mimeType) => KernelHelpers.display(value, mimeType);
}

using System.Text.RegularExpressions;

namespace PromptLearning.Metrics;

/// <summary>
/// The "13a" tokenisation of mteval-v13a.pl, sacreBLEU's default for BLEU: unescape a few HTML
/// entities, split off punctuation and symbols, split periods and commas unless they sit between
/// digits, split a dash after a digit, and collapse whitespace.
/// </summary>
public static partial class Tokenizer13a
{
    // ASCII symbol ranges {-~ [-` space-& (-+ :-@ and /: everything but letters, digits, ' , - .
    [GeneratedRegex(@"([\x7B-\x7E\x5B-\x60\x20-\x26\x28-\x2B\x3A-\x40\x2F])")]
    private static partial Regex Symbols();
    [GeneratedRegex(@"([^0-9])([\.,])")]
    private static partial Regex PunctAfterNonDigit();
    [GeneratedRegex(@"([\.,])([^0-9])")]
    private static partial Regex PunctBeforeNonDigit();
    [GeneratedRegex(@"([0-9])(-)")]
    private static partial Regex DashAfterDigit();

    /// <summary>Tokens of a segment (trailing whitespace removed first, as sacreBLEU does).</summary>
    public static string[] Tokenize(string segment)
    {
        var line = segment.TrimEnd()
            .Replace("<skipped>", "").Replace("-\n", "").Replace("\n", " ")
            .Replace("&quot;", "\"").Replace("&amp;", "&").Replace("&lt;", "<").Replace("&gt;", ">");
        line = " " + line + " ";
        line = Symbols().Replace(line, " $1 ");
        line = PunctAfterNonDigit().Replace(line, "$1 $2 ");
        line = PunctBeforeNonDigit().Replace(line, " $1 $2");
        line = DashAfterDigit().Replace(line, "$1 $2 ");
        return line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
    }
}

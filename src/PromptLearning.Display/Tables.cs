using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;
using Microsoft.Data.Analysis;

namespace PromptLearning.Display;

/// <summary>
/// Results as tables: <see cref="DataFrame"/>s built from records (shown as HTML tables by
/// Polyglot Notebooks and by the headless runner), and plain HTML tables for summaries
/// (show them with <c>display(HTML(...))</c>).
/// </summary>
public static class Tables
{
    /// <summary>
    /// A DataFrame with one column per public property of <typeparamref name="T"/>, in declaration
    /// order: numbers become double/long columns, bool a boolean column, everything else strings.
    /// </summary>
    public static DataFrame ToDataFrame<T>(IEnumerable<T> rows)
    {
        var list = rows.ToList();
        var props = typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0).ToList();
        if (props.Count == 0) throw new ArgumentException($"{typeof(T).Name} has no public properties to make columns of.");
        return new DataFrame(props.Select(p => Column(p.Name, p.PropertyType, list.Select(r => p.GetValue(r)).ToList())));
    }

    /// <summary>A DataFrame from named columns of equal length (values as for <see cref="ToDataFrame{T}"/>).</summary>
    public static DataFrame FromColumns(params (string Name, System.Collections.IEnumerable Values)[] columns)
    {
        var cols = columns.Select(c => (c.Name, Values: c.Values.Cast<object?>().ToList())).ToList();
        if (cols.Select(c => c.Values.Count).Distinct().Count() > 1)
            throw new ArgumentException("columns differ in length: " + string.Join(", ", cols.Select(c => $"{c.Name}={c.Values.Count}")));
        return new DataFrame(cols.Select(c => Column(c.Name, c.Values.FirstOrDefault(v => v is not null)?.GetType() ?? typeof(string), c.Values)));
    }

    private static DataFrameColumn Column(string name, Type type, IReadOnlyList<object?> values)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal))
            return new DoubleDataFrameColumn(name, values.Select(v => v is null ? (double?)null : Convert.ToDouble(v, CultureInfo.InvariantCulture)));
        if (type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(byte))
            return new Int64DataFrameColumn(name, values.Select(v => v is null ? (long?)null : Convert.ToInt64(v, CultureInfo.InvariantCulture)));
        if (type == typeof(bool))
            return new BooleanDataFrameColumn(name, values.Select(v => (bool?)v));
        return new StringDataFrameColumn(name, values.Select(v => v switch
        {
            null => null,
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => v.ToString(),
        }));
    }

    /// <summary>An HTML table with a header row (cells HTML-encoded; numbers formatted invariantly).</summary>
    public static string Html(string? caption, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<object?>> rows)
    {
        var sb = new StringBuilder("<table>");
        if (caption is not null) sb.Append("<caption>").Append(WebUtility.HtmlEncode(caption)).Append("</caption>");
        sb.Append("<thead><tr>");
        foreach (var h in headers) sb.Append("<th>").Append(WebUtility.HtmlEncode(h)).Append("</th>");
        sb.Append("</tr></thead><tbody>");
        int line = 0;
        foreach (var row in rows)
        {
            line++;
            if (row.Count != headers.Count) throw new ArgumentException($"table '{caption}': row {line} has {row.Count} cells for {headers.Count} headers.");
            sb.Append("<tr>");
            foreach (var cell in row) sb.Append("<td>").Append(WebUtility.HtmlEncode(Format(cell))).Append("</td>");
            sb.Append("</tr>");
        }
        return sb.Append("</tbody></table>").ToString();
    }

    /// <summary>A two-column (property, value) HTML table.</summary>
    public static string KeyValueHtml(string? caption, IEnumerable<(string Key, object? Value)> items) =>
        Html(caption, ["", ""], items.Select(i => (IReadOnlyList<object?>)[i.Key, i.Value])).Replace("<thead><tr><th></th><th></th></tr></thead>", "");

    /// <summary>
    /// A settings table (HTML, two columns: setting, value) of a record, a class or an anonymous
    /// object: one row per public instance property, in declaration order. Instead of raw dumps such
    /// as <c>Seeds = System.Int32[]</c> or losses with 17 digits, values are shown by
    /// <see cref="SettingValue(object?)"/>: arrays and lists comma-joined, doubles to 4 significant digits,
    /// nested records inline as <c>Name = value, ...</c>. Show it with <c>display(HTML(...))</c>.
    /// </summary>
    /// <param name="record">The object whose public properties are the settings.</param>
    /// <param name="caption">An optional caption above the table.</param>
    public static string Settings(object record, string? caption = null) =>
        KeyValueHtml(caption, SettingRows(record).Select(r => (r.Name, (object?)r.Value)));

    /// <summary>The (name, formatted value) rows that <see cref="Settings"/> shows.</summary>
    /// <param name="record">The object whose public properties are the settings.</param>
    public static IReadOnlyList<(string Name, string Value)> SettingRows(object record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var props = SettingProperties(record.GetType());
        if (props.Count == 0) throw new ArgumentException($"{record.GetType().Name} has no public properties to list.", nameof(record));
        return props.Select(p => (p.Name, SettingValue(p.GetValue(record)))).ToList();
    }

    /// <summary>
    /// One setting as text: null as empty, strings as they are, numbers as <see cref="Format"/> shows
    /// them (doubles to 4 significant digits), sequences comma-joined, objects with public properties
    /// (records, anonymous objects) inline as <c>Name = value, ...</c>, a record without properties by
    /// its type name, anything else by <c>ToString</c>.
    /// </summary>
    /// <param name="value">The value of one setting.</param>
    public static string SettingValue(object? value) => SettingValue(value, 0);

    private static string SettingValue(object? value, int depth) => value switch
    {
        null => "",
        string s => s,
        IFormattable or bool or char or Enum => Format(value),
        System.Collections.IDictionary d when depth < 4 =>
            string.Join(", ", d.Keys.Cast<object>().Select(k => $"{SettingValue(k, depth + 1)}: {SettingValue(d[k], depth + 1)}")),
        System.Collections.IEnumerable e when depth < 4 => string.Join(", ", e.Cast<object?>().Select(v => SettingValue(v, depth + 1))),
        _ when depth < 4 && SettingProperties(value.GetType()) is { Count: > 0 } props && !OverridesToString(value.GetType()) =>
            string.Join(", ", props.Select(p => $"{p.Name} = {SettingValue(p.GetValue(value), depth + 1)}")),
        _ when !OverridesToString(value.GetType()) && SettingProperties(value.GetType()).Count == 0 => value.GetType().Name,
        _ => value.ToString() ?? "",
    };

    private static List<PropertyInfo> SettingProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.GetMethod is not null && p.Name != "EqualityContract")
            .ToList();

    // Records and anonymous types generate ToString (a raw dump); other classes that override it chose their text.
    private static bool OverridesToString(Type type)
    {
        if (type.IsDefined(typeof(System.Runtime.CompilerServices.CompilerGeneratedAttribute), false)) return false;
        if (type.GetMethod("<Clone>$") is not null) return false;
        var toString = type.GetMethod(nameof(ToString), Type.EmptyTypes);
        return toString is not null && toString.DeclaringType != typeof(object) && toString.DeclaringType != typeof(ValueType);
    }

    /// <summary>How table cells show values: doubles to 4 significant digits, integers with thousands separators.</summary>
    public static string Format(object? value) => value switch
    {
        null => "",
        double d => d.ToString("G4", CultureInfo.InvariantCulture),
        float f => f.ToString("G4", CultureInfo.InvariantCulture),
        int or long => string.Format(CultureInfo.InvariantCulture, "{0:N0}", value),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}

namespace PromptLearning.Data.Formats;

/// <summary>
/// E2E NLG challenge CSV: a header <c>mr,ref</c> (any case; the reference-less test file has only
/// <c>mr</c>), then one row per (MR, reference) pair with quoted fields. Rows with the same MR are
/// grouped into one <see cref="TableToTextExample"/> in order of first appearance.
/// </summary>
public static class E2eCsv
{
    /// <summary>Loads an E2E style CSV file.</summary>
    public static List<TableToTextExample> Load(string path)
    {
        var records = Csv.Read(path, "a header 'mr,ref'");
        var header = records[0].Fields.Select(f => f.Trim().ToLowerInvariant()).ToList();
        int mrCol = header.IndexOf("mr");
        int refCol = header.IndexOf("ref");
        if (mrCol < 0) throw new InvalidDataException($"{path}:{records[0].Line}: header has no 'mr' column (found: {string.Join(", ", header)})");
        var order = new List<MeaningRepresentation>();
        var refs = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        for (int i = 1; i < records.Count; i++)
        {
            var rec = records[i];
            if (rec.Fields.Count != header.Count)
                throw new InvalidDataException($"{path}:{rec.Line}: expected {header.Count} fields ({string.Join(", ", header)}), found {rec.Fields.Count}");
            MeaningRepresentation mr;
            try { mr = MeaningRepresentation.Parse(rec.Fields[mrCol]); }
            catch (FormatException e) { throw new InvalidDataException($"{path}:{rec.Line}: field 'mr': {e.Message}"); }
            var key = mr.ToString();
            if (!refs.TryGetValue(key, out var list))
            {
                list = new List<string>();
                refs[key] = list;
                order.Add(mr);
            }
            if (refCol >= 0)
            {
                var text = rec.Fields[refCol].Trim();
                if (text.Length == 0) throw new InvalidDataException($"{path}:{rec.Line}: field 'ref' is empty");
                list.Add(text);
            }
        }
        return order.Select(mr => new TableToTextExample(mr, refs[mr.ToString()])).ToList();
    }

    /// <summary>Writes one row per (MR, reference) pair under the header <c>mr,ref</c>.</summary>
    public static void Write(string path, IEnumerable<TableToTextExample> examples) =>
        Checkpoints.AtomicFile.WriteLines(path, examples.SelectMany(e => e.References.Select(r => Csv.Line(e.Mr.ToString(), r))).Prepend("mr,ref"));
}

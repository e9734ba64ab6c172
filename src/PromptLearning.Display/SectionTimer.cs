using System.Diagnostics;
using Microsoft.Data.Analysis;

namespace PromptLearning.Display;

/// <summary>One notebook section's run time: wall clock and the CPU time of the kernel's process.</summary>
/// <param name="Section">The section's title.</param>
/// <param name="WallSeconds">Wall-clock seconds from the section's start to the next one's (or to now).</param>
/// <param name="CpuSeconds">CPU seconds the process used in that span, all threads together: the section's
/// cost without the pauses of someone running the cells one by one.</param>
public sealed record SectionTime(string Section, double WallSeconds, double CpuSeconds);

/// <summary>
/// The run time of each section of a notebook, so that a reader (or a teacher planning a class)
/// sees what each part costs. Call <see cref="Start"/> at the top of each section's first cell; a
/// section runs until the next one starts. <see cref="Table"/> lists them with a total.
/// </summary>
public sealed class SectionTimer
{
    private readonly List<(string Section, TimeSpan Wall, TimeSpan Cpu)> _starts = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    /// <summary>Ends the current section (if any) and starts <paramref name="section"/>. Starting a
    /// section again (a cell rerun) restarts it and drops the sections recorded after it.</summary>
    public void Start(string section)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(section);
        int existing = _starts.FindIndex(s => s.Section == section);
        if (existing >= 0) _starts.RemoveRange(existing, _starts.Count - existing);
        _starts.Add((section, _clock.Elapsed, CpuNow()));
    }

    /// <summary>The sections so far; the last one runs until now.</summary>
    public IReadOnlyList<SectionTime> Sections
    {
        get
        {
            var ends = _starts.Skip(1).Select(s => (s.Wall, s.Cpu)).Append((_clock.Elapsed, CpuNow())).ToList();
            return _starts.Select((s, i) => new SectionTime(s.Section,
                Math.Round((ends[i].Item1 - s.Wall).TotalSeconds, 1),
                Math.Round((ends[i].Item2 - s.Cpu).TotalSeconds, 1))).ToList();
        }
    }

    /// <summary>The sections and a total as a table: section, wall seconds, CPU seconds.</summary>
    public DataFrame Table()
    {
        var rows = Sections;
        return Tables.FromColumns(
            ("section", rows.Select(r => r.Section).Append("total")),
            ("wall (s)", rows.Select(r => r.WallSeconds).Append(Math.Round(rows.Sum(r => r.WallSeconds), 1))),
            ("CPU (s)", rows.Select(r => r.CpuSeconds).Append(Math.Round(rows.Sum(r => r.CpuSeconds), 1))));
    }

    private static TimeSpan CpuNow()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }
}

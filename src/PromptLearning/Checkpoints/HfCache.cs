using System.Text.RegularExpressions;

namespace PromptLearning.Checkpoints;

/// <summary>
/// The Hugging Face hub cache, laid out as <c>huggingface_hub</c> does so both share files:
/// <c>{root}/models--ORG--NAME/refs/{branch}</c> (a commit hash), <c>.../blobs/{etag}</c> (file
/// contents), <c>.../snapshots/{commit}/{file}</c> (links to the blobs). The root is
/// <c>HF_HUB_CACHE</c>, else <c>HF_HOME/hub</c>, else <c>XDG_CACHE_HOME/huggingface/hub</c>, else
/// <c>~/.cache/huggingface/hub</c>.
/// </summary>
public sealed partial class HfCache
{
    /// <summary>The cache root (the folder that holds <c>models--*</c>).</summary>
    public string Root { get; }

    public HfCache(string? root = null) => Root = Path.GetFullPath(root ?? DefaultRoot());

    /// <summary>The cache root the environment selects (see the class summary).</summary>
    public static string DefaultRoot(Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        static string? Set(string? v) => string.IsNullOrWhiteSpace(v) ? null : v;
        if (Set(env("HF_HUB_CACHE")) is { } hub) return hub;
        if (Set(env("HUGGINGFACE_HUB_CACHE")) is { } legacy) return legacy;
        if (Set(env("HF_HOME")) is { } home) return Path.Combine(home, "hub");
        var xdg = Set(env("XDG_CACHE_HOME")) ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(xdg, "huggingface", "hub");
    }

    /// <summary>True for a hub model id: <c>NAME</c> or <c>ORG/NAME</c> (letters, digits, <c>-_.</c>).</summary>
    public static bool IsRepoId(string id) => RepoIdPattern().IsMatch(id) && !id.Contains("..") && !id.Contains("--");

    /// <summary><c>{root}/models--ORG--NAME</c>.</summary>
    public string RepoFolder(string repoId)
    {
        if (!IsRepoId(repoId)) throw new ArgumentException($"'{repoId}' is not a hub model id (NAME or ORG/NAME).", nameof(repoId));
        return Path.Combine(Root, "models--" + repoId.Replace("/", "--"));
    }

    /// <summary>True for a full 40-hex commit hash.</summary>
    public static bool IsCommitHash(string revision) => CommitPattern().IsMatch(revision);

    /// <summary>The commit a revision names: itself for a commit hash, else the content of <c>refs/{revision}</c>, else null.</summary>
    public string? ResolveCommit(string repoId, string revision)
    {
        if (IsCommitHash(revision)) return revision;
        var refPath = Path.Combine(RepoFolder(repoId), "refs", revision);
        if (!File.Exists(refPath)) return null;
        var commit = File.ReadAllText(refPath).Trim();
        return commit.Length > 0 ? commit : null;
    }

    /// <summary>The snapshot folder of a revision (which may not exist yet), or null when the revision is not in the cache.</summary>
    public string? SnapshotFolder(string repoId, string revision) =>
        ResolveCommit(repoId, revision) is { } commit ? Path.Combine(RepoFolder(repoId), "snapshots", commit) : null;

    /// <summary>The cached path of one file at a revision, or null when it is not cached.</summary>
    public string? CachedFile(string repoId, string revision, string file) =>
        SnapshotFolder(repoId, revision) is { } snap && File.Exists(Path.Combine(snap, file)) ? Path.Combine(snap, file) : null;

    /// <summary>Records that <paramref name="revision"/> (a branch or tag) points at <paramref name="commit"/>.</summary>
    public void WriteRef(string repoId, string revision, string commit)
    {
        if (IsCommitHash(revision)) return;
        var path = Path.Combine(RepoFolder(repoId), "refs", revision);
        if (File.Exists(path) && File.ReadAllText(path).Trim() == commit) return;
        AtomicFile.WriteText(path, commit);
    }

    /// <summary>
    /// Puts a finished blob into the snapshot of <paramref name="commit"/> as <paramref name="file"/>: a
    /// relative symbolic link (as <c>huggingface_hub</c>), or a copy where links cannot be made.
    /// </summary>
    public string LinkIntoSnapshot(string repoId, string commit, string file, string blobPath)
    {
        var target = Path.Combine(RepoFolder(repoId), "snapshots", commit, file);
        var dir = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.CreateSymbolicLink(temp, Path.GetRelativePath(dir, blobPath));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            File.Copy(blobPath, temp);
        }
        File.Move(temp, target, overwrite: true);
        return target;
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.\-]*(/[A-Za-z0-9][A-Za-z0-9_.\-]*)?$")]
    private static partial Regex RepoIdPattern();

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitPattern();
}

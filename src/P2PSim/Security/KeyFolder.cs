using System.Globalization;
using System.Text;

namespace P2PSim.Security;

/// <summary>
/// Node keys kept in a folder, so a restarted node keeps its id (<c>Security:KeyFolder</c>). One file per node,
/// <c>seed-0.key</c>, <c>peer-3.key</c>, readable by its owner only: a line of 64 hex digits, the key's secret seed, and,
/// once its id has been given work (<c>Security:IdDifficulty</c> above 0), a second line of 16 hex digits, the id's work
/// nonce (<see cref="IdWork"/>), so a restart does not search again. A node without a file gets a fresh key, written there;
/// a file without a nonce, or whose nonce does not meet the difficulty now asked, gets one found and written back; a file
/// that is not such lines stops start-up with a message naming the file.
/// </summary>
public sealed class KeyFolder(string directory)
{
    public string Directory { get; } = directory;

    /// <summary>The file of one node's key.</summary>
    public string PathOf(string role, int index) => Path.Combine(Directory, $"{role}-{index}.key");

    /// <summary>The node's key from its file, or a fresh one written to it. Throws <see cref="KeyFileException"/> for a bad file.</summary>
    public NodeKey LoadOrCreate(string role, int index) => LoadOrCreate(role, index, 0, out _);

    /// <summary>
    /// The node's key from its file, or a fresh one written to it, and its id's <paramref name="work"/> at
    /// <paramref name="difficulty"/>: the nonce kept in the file when it meets the difficulty, else one found now and kept
    /// there. Throws <see cref="KeyFileException"/> for a bad file.
    /// </summary>
    public NodeKey LoadOrCreate(string role, int index, int difficulty, out IdWork work, CancellationToken ct = default)
    {
        var path = PathOf(role, index);
        if (File.Exists(path))
        {
            var (loaded, nonce) = Load(path);
            if (nonce is { } kept && IdWork.Meets(loaded.Id, kept, difficulty))
            {
                work = difficulty == 0 ? IdWork.None : new IdWork((byte)difficulty, kept);
                return loaded;
            }
            work = IdWork.Find(loaded.Id, difficulty, ct);
            if (difficulty > 0)
            {
                Save(path, loaded, work, replace: true);
            }
            return loaded;
        }
        var key = NodeKey.Generate();
        work = IdWork.Find(key.Id, difficulty, ct);
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            Save(path, key, work, replace: false);
            return key;
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process wrote it first: take that one, so both agree on the id.
            key.Dispose();
            return LoadOrCreate(role, index, difficulty, out work, ct);
        }
    }

    /// <summary>Writes the key (and the work's nonce, when any was asked) to <paramref name="path"/>, owner-only; a replaced file is swapped in whole.</summary>
    private static void Save(string path, NodeKey key, IdWork work, bool replace)
    {
        var text = Convert.ToHexStringLower(key.ExportSeed()) + "\n"
            + (work.Difficulty > 0 ? work.Nonce.ToString("x16", CultureInfo.InvariantCulture) + "\n" : "");
        var target = replace ? path + ".new" : path;
        try
        {
            var options = new FileStreamOptions { Mode = replace ? FileMode.Create : FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }
            using (var file = new FileStream(target, options))
            {
                file.Write(Encoding.ASCII.GetBytes(text));
            }
            if (replace)
            {
                File.Move(target, path, overwrite: true);
            }
        }
        catch (IOException) when (!replace && File.Exists(path))
        {
            throw; // another process wrote it first: the caller takes that one
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            key.Dispose();
            throw new KeyFileException($"Could not write the node key {path}: {ex.Message}", ex);
        }
    }

    private static (NodeKey Key, ulong? Nonce) Load(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllText(path).Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new KeyFileException($"Could not read the node key {path}: {ex.Message}", ex);
        }
        var seed = new byte[NodeKey.SeedSize];
        if (lines.Length is < 1 or > 2
            || lines[0].Length != NodeKey.SeedSize * 2
            || Convert.FromHexString(lines[0], seed, out _, out var written) != System.Buffers.OperationStatus.Done
            || written != NodeKey.SeedSize)
        {
            throw new KeyFileException($"The node key {path} is not a line of {NodeKey.SeedSize * 2} hex digits (and maybe one of 16, its id's work); delete it to make a new key (the node gets a new id).");
        }
        ulong? nonce = null;
        if (lines.Length == 2)
        {
            if (lines[1].Length != 16 || !ulong.TryParse(lines[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var parsed))
            {
                throw new KeyFileException($"The second line of the node key {path} is not 16 hex digits (its id's work nonce); delete that line to find the work again.");
            }
            nonce = parsed;
        }
        return (NodeKey.FromSeed(seed), nonce);
    }
}

/// <summary>A key file could not be read, written or understood; the message names the file.</summary>
public sealed class KeyFileException(string message, Exception? inner = null) : Exception(message, inner);

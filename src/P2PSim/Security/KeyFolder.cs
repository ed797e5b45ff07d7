using System.Text;

namespace P2PSim.Security;

/// <summary>
/// Node keys kept in a folder, so a restarted node keeps its id (<c>Security:KeyFolder</c>). One file per node,
/// <c>seed-0.key</c>, <c>peer-3.key</c>: one line of 64 hex digits, the key's secret seed, readable by its owner
/// only. A node without a file gets a fresh key, written there; a file that is not such a line stops start-up with a
/// message naming the file.
/// </summary>
public sealed class KeyFolder(string directory)
{
    public string Directory { get; } = directory;

    /// <summary>The file of one node's key.</summary>
    public string PathOf(string role, int index) => Path.Combine(Directory, $"{role}-{index}.key");

    /// <summary>The node's key from its file, or a fresh one written to it. Throws <see cref="KeyFileException"/> for a bad file.</summary>
    public NodeKey LoadOrCreate(string role, int index)
    {
        var path = PathOf(role, index);
        if (File.Exists(path))
        {
            return Load(path);
        }
        var key = NodeKey.Generate();
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }
            using var file = new FileStream(path, options);
            file.Write(Encoding.ASCII.GetBytes(Convert.ToHexStringLower(key.ExportSeed()) + "\n"));
            return key;
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process wrote it first: take that one, so both agree on the id.
            key.Dispose();
            return Load(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            key.Dispose();
            throw new KeyFileException($"Could not write the node key {path}: {ex.Message}", ex);
        }
    }

    private static NodeKey Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new KeyFileException($"Could not read the node key {path}: {ex.Message}", ex);
        }
        var seed = new byte[NodeKey.SeedSize];
        if (text.Length != NodeKey.SeedSize * 2
            || Convert.FromHexString(text, seed, out _, out var written) != System.Buffers.OperationStatus.Done
            || written != NodeKey.SeedSize)
        {
            throw new KeyFileException($"The node key {path} is not one line of {NodeKey.SeedSize * 2} hex digits; delete it to make a new key (the node gets a new id).");
        }
        return NodeKey.FromSeed(seed);
    }
}

/// <summary>A key file could not be read, written or understood; the message names the file.</summary>
public sealed class KeyFileException(string message, Exception? inner = null) : Exception(message, inner);

using System.Diagnostics;
using System.Globalization;

namespace Herald.Cli.Tests;

/// <summary>
/// A small tmpfs mounted on a fresh folder: a disk a test can fill to the last byte and free again. Mounting needs
/// root (as the tests run here and in CI); anywhere else the test fails and says so, it does not pass unchecked.
/// Unmounted on dispose, also when the test failed.
/// </summary>
internal sealed class TmpfsMount : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(15);

    private TmpfsMount(string path) => Path = path;

    public string Path { get; }

    public static async Task<TmpfsMount> MountAsync(string path, int sizeKib)
    {
        Directory.CreateDirectory(path);
        var (exitCode, error) = await RunAsync("mount", "-t", "tmpfs", "-o", $"size={sizeKib.ToString(CultureInfo.InvariantCulture)}k", "tmpfs", path);
        if (exitCode != 0)
        {
            Assert.Fail($"This test needs root: it mounts a {sizeKib} KiB tmpfs to fill the disk under herald serve, and " +
                $"'mount -t tmpfs' on {path} failed (exit {exitCode}, running as {Environment.UserName}): {error.Trim()}");
        }

        return new TmpfsMount(path);
    }

    /// <summary>Writes <paramref name="file"/> until the disk refuses more (ENOSPC): afterwards not one page is free.</summary>
    public long Fill(string file)
    {
        var written = 0L;
        using var stream = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        foreach (var size in new[] { 1024 * 1024, 4096, 512 })
        {
            var block = new byte[size];
            try
            {
                while (true)
                {
                    stream.Write(block);
                    written += size;
                }
            }
            catch (IOException)
            {
                // Full for blocks of this size: go on with smaller ones, so that the last page is taken too.
            }
        }

        var free = new DriveInfo(Path).AvailableFreeSpace;
        Assert.True(free < 4096, $"The tmpfs at {Path} still has {free} bytes free after the filler took {written}.");
        return written;
    }

    public async ValueTask DisposeAsync()
    {
        // A process that outlived the test may still hold a file there: then detach it lazily rather than leave it mounted.
        if ((await RunAsync("umount", Path)).ExitCode != 0)
        {
            await RunAsync("umount", "-l", Path);
        }
    }

    private static async Task<(int ExitCode, string Error)> RunAsync(string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {command}.");
            var error = process.StandardError.ReadToEndAsync();
            _ = process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(CommandTimeout);
            return (process.ExitCode, await error);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, $"{command}: {ex.Message}");
        }
    }
}

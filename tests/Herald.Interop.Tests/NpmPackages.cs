namespace Herald.Interop.Tests;

/// <summary>Installs tests/interop/js from its committed lockfile (npm ci) once, when it is not installed yet.</summary>
internal static class NpmPackages
{
    private static readonly SemaphoreSlim Gate = new(1, 1);

    public static async Task EnsureInstalledAsync()
    {
        await Gate.WaitAsync();
        try
        {
            var modules = Path.Combine(RepositoryPaths.InteropJs, "node_modules");
            if (Directory.Exists(Path.Combine(modules, "@a2a-js", "sdk")) && Directory.Exists(Path.Combine(modules, "a2a-js-sdk-03"))
                && Directory.Exists(Path.Combine(modules, "express")))
            {
                return;
            }

            var (code, _, stderr) = await ProcessRunner.RunAsync("npm", ["ci", "--no-audit", "--no-fund"], RepositoryPaths.InteropJs, TimeSpan.FromMinutes(5));
            if (code != 0)
            {
                throw new InvalidOperationException($"npm ci failed in {RepositoryPaths.InteropJs}: {stderr}");
            }
        }
        finally
        {
            Gate.Release();
        }
    }
}

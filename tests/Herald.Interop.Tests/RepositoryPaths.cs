namespace Herald.Interop.Tests;

/// <summary>Locates the repository (the folder holding Herald.slnx) from the test's output folder.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string InteropJs => Path.Combine(Root, "tests", "interop", "js");

    /// <summary>The built `herald` CLI of the same configuration as this test assembly.</summary>
    public static string HeraldDll
    {
        get
        {
#if DEBUG
            const string configuration = "Debug";
#else
            const string configuration = "Release";
#endif
            var path = Path.Combine(Root, "src", "Herald.Cli", "bin", configuration, "net10.0", "herald.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException($"The herald CLI was not built at {path}.");
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Herald.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Herald.slnx was not found above " + AppContext.BaseDirectory);
    }
}

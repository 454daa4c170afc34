namespace Custos.Testing;

/// <summary>Locates build outputs of other projects (the custos CLI, the audit harness) for the running configuration.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>Debug or Release, as the test assembly was built.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains("/bin/Release/", StringComparison.Ordinal) ? "Release" : "Debug";

    public static string CustosDll => Output("src/Custos.Cli", "custos.dll");

    public static string AuditHarnessDll => Output("tests/Custos.AuditHarness", "Custos.AuditHarness.dll");

    private static string Output(string project, string file)
    {
        var path = Path.Combine(Root, project, "bin", Configuration, "net10.0", file);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} is not built; build Custos.slnx first", path);
        return path;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Custos.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("Custos.slnx not found above " + AppContext.BaseDirectory);
    }
}

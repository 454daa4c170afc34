namespace Custos.Server.Tests.Fixtures;

/// <summary>Generous limits: the suite shares two cores with other work, and a slow machine must not fail a test.</summary>
public static class Timeouts
{
    public static readonly TimeSpan Ready = TimeSpan.FromSeconds(90);
    public static readonly TimeSpan Exit = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan Command = TimeSpan.FromSeconds(90);
}

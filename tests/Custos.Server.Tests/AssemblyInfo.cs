using Custos.Server.Tests.Fixtures;

// One throwaway PostgreSQL cluster for every test in the assembly; each test takes its own database in it.
[assembly: AssemblyFixture(typeof(SharedPostgres))]

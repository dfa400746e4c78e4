import ArgumentParser
import AsyncHTTPClient
@main struct Bench: AsyncParsableCommand { func run() async throws {} }

// A patch's author and a reply's sender are `Person`s: whoever reads a series sees the type,
// without importing the mail stage (only Series reads mail).
@_exported import struct Mail.Person

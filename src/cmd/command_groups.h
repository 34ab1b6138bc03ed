// Every group of commands, one line each: STASH_COMMAND_GROUP(F) where F() returns the group's
// CommandSpec table, defined at the bottom of the group's file. Adding a group (a new data type)
// is this one line and its file. No include guard: command_table.* include it with their own
// definition of STASH_COMMAND_GROUP.
STASH_COMMAND_GROUP(ConnectionCommands)
STASH_COMMAND_GROUP(ClientCommands)
STASH_COMMAND_GROUP(ServerCommands)
STASH_COMMAND_GROUP(IntrospectionCommands)
STASH_COMMAND_GROUP(StringCommands)
STASH_COMMAND_GROUP(HashCommands)
STASH_COMMAND_GROUP(SetCommands)
STASH_COMMAND_GROUP(ListCommands)
STASH_COMMAND_GROUP(ZSetCommands)
STASH_COMMAND_GROUP(SortCommands)
STASH_COMMAND_GROUP(KeyCommands)
STASH_COMMAND_GROUP(ExpireCommands)
STASH_COMMAND_GROUP(ScanCommands)
STASH_COMMAND_GROUP(TransactionCommands)
STASH_COMMAND_GROUP(PubSubCommands)

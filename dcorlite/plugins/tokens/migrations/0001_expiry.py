"""When a token stops working (table ``api_token_expiry``; tokens without a row never expire)."""
import peewee as pw


def up(migrator, db):
    class ApiToken(pw.Model):
        id = pw.CharField(primary_key=True)

        class Meta:
            database = db
            table_name = "api_token"

    class ApiTokenExpiry(pw.Model):
        token = pw.ForeignKeyField(ApiToken, primary_key=True, on_delete="CASCADE")
        expires_at = pw.DateTimeField()

        class Meta:
            database = db
            table_name = "api_token_expiry"

    db.create_tables([ApiTokenExpiry])

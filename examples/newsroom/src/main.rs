//! Runs the newsroom's editorial day against `DATABASE_URL` through an r2d2 pool of the
//! newsroom's own connections, and prints the article's history.

use newsroom::{add_user, editorial_day, history_of, migrate, pool, register};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "newsroom.sqlite3".to_owned());
    let pool = pool(&url, 4)?;
    let mut conn = pool.get()?;
    migrate(&mut conn)?;
    register();
    let editor = add_user(&mut conn, "Nellie Bly")?;
    let article = editorial_day(&mut conn, editor)?;
    println!("History of '{}':", article.title);
    for (action, user) in history_of(&mut conn, &article)? {
        println!("  {action:<16} {user}");
    }
    Ok(())
}

alter publication supabase_realtime set table
  public.cart_items,
  public.conversations,
  public.messages,
  public.notifications,
  public.order_items,
  public.orders,
  public.products,
  public.profiles,
  public.reviews,
  public.vendors;
